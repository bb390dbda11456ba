import type { z } from "zod";
import { quoteForMessage } from "../text/quote-for-message.ts";

/** How many issues a validation error lists in `details.issues`. */
export const MAX_LISTED_ISSUES = 10;

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** A longer key is quoted, and so cut short, even when it is an identifier. */
const MAX_BARE_KEY_CHARS = 64;

/**
 * Writes a field path as code would: `sequences[0].stepScores["log prob"][3]`; a key from the file
 * is quoted cut short and with its control characters escaped (`quoteForMessage`).
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (typeof segment === "string" && segment.length <= MAX_BARE_KEY_CHARS && identifier.test(segment))
      text += text ? `.${segment}` : segment;
    else text += `[${quoteForMessage(String(segment))}]`;
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
