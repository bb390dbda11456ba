import type { z } from "zod";

/** How many issues a validation error lists in `details.issues`. */
export const MAX_LISTED_ISSUES = 10;

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Writes a field path as code would: `sequences[0].stepScores["log prob"][3]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (typeof segment === "string" && identifier.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

/** One issue as `path: what is wrong`, in words a user can act on. */
export function formatIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[] = []): string {
  const path = formatPath([...prefix, ...issue.path]);
  const message = rewordMessage(issue.message);
  return path ? `${path}: ${message}` : message;
}

function rewordMessage(message: string): string {
  const missing = /^Invalid input: expected (\w+), received undefined$/.exec(message);
  if (missing) return `missing (expected ${missing[1]})`;
  return message.replace(/^Invalid input: /, "");
}
