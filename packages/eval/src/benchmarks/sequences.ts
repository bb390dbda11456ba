import { TokenscopeError } from "@tokenscope/core";

/** ReAGent's defaults for its sequence-level experiment (src/sequence_rationalization.py). */
export const sequenceDefaults = {
  /** Evaluate every generated token (ReAGent's `--stride` default is 1). */
  stride: 1,
  /** ReAGent's `--max_new_tokens` default. */
  maxNewTokens: 10,
} as const;

/**
 * The prompts of a sequence-level prompt file (wikitext.txt, tellmewhy2.txt): one per line, as
 * ReAGent reads them (`read().splitlines()`), kept exactly as written (trailing spaces included:
 * the model sees what ReAGent's did). Blank lines are skipped.
 */
export function parsePromptLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => line.trim() !== "");
}

function checkPositiveInteger(name: string, value: number): void {
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new TokenscopeError(
      "INVALID_PARAMETERS",
      `${name} must be a positive integer, got ${String(value)}.`,
      {
        details: { [name]: value },
      },
    );
  }
}

/**
 * The generated positions ReAGent evaluates: 0, stride, 2·stride, ... below `generatedCount`
 * (its `torch.arange(prompt_length, generated_length, stride)`). ReAGent attributes every
 * generated token (each over the prompt and the tokens generated before it) and evaluates only
 * these; generation may stop early at EOS, so the count is known only after generating.
 */
export function strideSteps(generatedCount: number, stride: number = sequenceDefaults.stride): number[] {
  checkPositiveInteger("stride", stride);
  const steps: number[] = [];
  for (let step = 0; step < generatedCount; step += stride) steps.push(step);
  return steps;
}

/** Checks the sequence benchmark's options; throws `INVALID_PARAMETERS` naming the bad one. */
export function checkSequenceOptions(options: { stride?: number; maxNewTokens?: number }): void {
  if (options.stride !== undefined) checkPositiveInteger("stride", options.stride);
  if (options.maxNewTokens !== undefined) checkPositiveInteger("maxNewTokens", options.maxNewTokens);
}
