import { type LanguageModel, TokenscopeError } from "tokenscope";

/*
 * `--step` picks the generated token whose attributions colour the prompt. It is only used once the
 * whole attribution has run, so a value that cannot name an attributed step must be refused before:
 * what the command line alone decides, before the model loads; what the targets' lengths decide,
 * right after tokenizing them, before attributing. `--start-pos` and `--end-pos` are held to the
 * same ends: a range reaching past the last token generation or a forced target can have is refused
 * rather than silently cut (the library clamps `end` to the target, which it must for generated
 * targets that stop early at an end-of-sequence token).
 */

/** What the command line says about the steps a run will attribute. */
export interface StepPlan {
  /** `--step`, when given. */
  step?: number | undefined;
  /** `--start-pos` and `--end-pos`, when given. */
  startPos?: number | undefined;
  endPos?: number | undefined;
  /** Whether targets are forced (`--target` or targets in the input file): their length is then the tokens'. */
  forcedTargets: boolean;
  /** Whether `--target-prefix` adds tokens before the generated ones. */
  targetPrefixes: boolean;
  /** The most tokens generation adds (`--max-new-tokens`, or `maxNewTokens` of `--generation-args`). */
  maxNewTokens: number;
}

function stepError(message: string, hint: string, details: Record<string, unknown>): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint, details });
}

/**
 * Refuses, before the model loads, a `--start-pos`/`--end-pos` range that is empty and a `--step`
 * outside it; and, when only generation makes the target, a `--step` or `--start-pos` past the last
 * token generation can produce and an `--end-pos` beyond it (steps count from 0, `--end-pos` is
 * exclusive).
 * @throws TokenscopeError INVALID_INPUT naming the options.
 */
export function checkStepBeforeLoading(plan: StepPlan): void {
  const { step, startPos, endPos } = plan;
  if (startPos !== undefined && endPos !== undefined && startPos >= endPos) {
    throw stepError(
      `--start-pos ${startPos} is not below --end-pos ${endPos}: no step would be attributed.`,
      "--end-pos is exclusive: --start-pos 2 --end-pos 3 attributes generated position 2 only.",
      { startPos, endPos },
    );
  }
  const generatedOnly = !plan.forcedTargets && !plan.targetPrefixes;
  const generated = plan.maxNewTokens;
  if (generatedOnly && startPos !== undefined && startPos >= generated) {
    throw stepError(
      `--start-pos ${startPos} is past the last generated token: at most ${generated} are generated, positions 0 to ${generated - 1}.`,
      "Positions count from 0: lower --start-pos, or raise --max-new-tokens.",
      { startPos, maxNewTokens: generated },
    );
  }
  if (generatedOnly && endPos !== undefined && endPos > generated) {
    throw stepError(
      `--end-pos ${endPos} is past the end of generation: at most ${generated} tokens are generated, so --end-pos is at most ${generated}.`,
      "--end-pos is exclusive and counts generated positions from 0: lower it, raise --max-new-tokens, or leave it out to attribute to the end.",
      { endPos, maxNewTokens: generated },
    );
  }
  if (step === undefined) return;
  if (endPos !== undefined && step >= endPos) {
    throw stepError(
      `--step ${step} is not attributed: --end-pos ${endPos} stops before it.`,
      `Pick a --step below ${endPos}, or raise --end-pos.`,
      { step, endPos },
    );
  }
  if (startPos !== undefined && step < startPos) {
    throw stepError(
      `--step ${step} is not attributed: --start-pos ${startPos} starts after it.`,
      `Pick a --step of at least ${startPos}, or lower --start-pos.`,
      { step, startPos },
    );
  }
  if (generatedOnly && step >= plan.maxNewTokens) {
    throw stepError(
      `--step ${step} is past the last generated token: at most ${plan.maxNewTokens} are generated, steps 0 to ${plan.maxNewTokens - 1}.`,
      "Steps count from 0: pick a lower --step, or raise --max-new-tokens.",
      { step, maxNewTokens: plan.maxNewTokens },
    );
  }
}

/** How `attribute()` tokenizes a forced target or prefix: a continuation, without special tokens. */
async function tokenCount(model: LanguageModel, text: string): Promise<number> {
  const { tokens } = await model.tokenize(text, { addSpecialTokens: false, continuation: true });
  return tokens.length;
}

/**
 * Refuses, once the model is loaded and before attributing, a `--step` or `--start-pos` at or past
 * the end of a forced target (or of a target prefix plus the tokens generated after it), and an
 * `--end-pos` beyond it, naming the prompt.
 * @throws TokenscopeError INVALID_INPUT naming the prompt, its target's length and the valid steps.
 */
export async function checkStepAgainstTargets(
  model: LanguageModel,
  plan: StepPlan,
  targets: { forced?: readonly string[] | undefined; prefixes?: readonly string[] | undefined },
): Promise<void> {
  const { step, startPos, endPos } = plan;
  if (step === undefined && startPos === undefined && endPos === undefined) return;
  const texts = targets.forced ?? targets.prefixes;
  if (!texts) return;
  const generated = targets.forced ? 0 : plan.maxNewTokens;
  for (const [index, text] of texts.entries()) {
    const length = (await tokenCount(model, text)) + generated;
    const what = targets.forced
      ? `the target of prompt ${index + 1} has ${length} tokens`
      : `the target of prompt ${index + 1} has at most ${length} tokens (its prefix and ${generated} generated)`;
    const details = { prompt: index + 1, targetTokens: length };
    if (step !== undefined && step >= length) {
      throw stepError(
        `--step ${step} is past the end of a target: ${what}, steps 0 to ${length - 1}.`,
        "Steps count from 0, over the target's tokens: pick a lower --step.",
        { step, ...details },
      );
    }
    if (startPos !== undefined && startPos >= length) {
      throw stepError(
        `--start-pos ${startPos} is past the end of a target: ${what}, positions 0 to ${length - 1}.`,
        "Positions count from 0, over the target's tokens: lower --start-pos.",
        { startPos, ...details },
      );
    }
    if (endPos !== undefined && endPos > length) {
      throw stepError(
        `--end-pos ${endPos} is past the end of a target: ${what}, so --end-pos is at most ${length}.`,
        "--end-pos is exclusive and counts the target's tokens from 0: lower it, or leave it out to attribute to the end.",
        { endPos, ...details },
      );
    }
  }
}
