import type { PromptUnit } from "../units/types.ts";
import type { Perturbation } from "./types.ts";

/** The units' leading whitespace (a unit owns the space before it). */
function leadingSpace(text: string): string {
  return /^\s*/.exec(text)![0];
}

/**
 * The prompt with the consecutive units `chunk` (indices into `units`, any order) replaced by the
 * perturbation's text: everything from the first to the last unit of the chunk is replaced, keeping
 * the first unit's leading whitespace when the replacement is not empty. As the seed library does,
 * the perturbed prompt is trimmed (removing the first word must not leave a leading space).
 */
export async function perturbPrompt(
  prompt: string,
  units: readonly PromptUnit[],
  chunk: readonly number[],
  perturbation: Perturbation,
): Promise<string> {
  const first = Math.min(...chunk);
  const last = Math.max(...chunk);
  const replaced = units.slice(first, last + 1);
  const replacement = await perturbation.replace(replaced);
  const start = replaced[0]!.span[0];
  const end = replaced.at(-1)!.span[1];
  const inserted = replacement === "" ? "" : leadingSpace(replaced[0]!.text) + replacement;
  return (prompt.slice(0, start) + inserted + prompt.slice(end)).trim();
}
