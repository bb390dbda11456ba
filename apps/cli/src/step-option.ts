import { type LanguageModel, TokenscopeError } from "tokenscope";

/*
 * `--step` picks the generated token whose attributions colour the prompt. It is only used once the
 * whole attribution has run, so a value that cannot name an attributed step must be refused before:
 * what the command line alone decides, before the model loads; what the targets' lengths decide,
 * right after tokenizing them, before attributing.
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
 * outside it, or past the last token generation can produce (steps count from 0).
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
  if (!plan.forcedTargets && !plan.targetPrefixes && step >= plan.maxNewTokens) {
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
 * Refuses, once the model is loaded and before attributing, a `--step` at or past the end of a forced
 * target (or of a target prefix plus the tokens generated after it), naming the prompt.
 * @throws TokenscopeError INVALID_INPUT naming the prompt, its target's length and the valid steps.
 */
export async function checkStepAgainstTargets(
  model: LanguageModel,
  plan: StepPlan,
  targets: { forced?: readonly string[] | undefined; prefixes?: readonly string[] | undefined },
): Promise<void> {
  const { step } = plan;
  if (step === undefined) return;
  const texts = targets.forced ?? targets.prefixes;
  if (!texts) return;
  const generated = targets.forced ? 0 : plan.maxNewTokens;
  for (const [index, text] of texts.entries()) {
    const length = (await tokenCount(model, text)) + generated;
    if (step >= length) {
      const what = targets.forced
        ? `the target of prompt ${index + 1} has ${length} tokens`
        : `the target of prompt ${index + 1} has at most ${length} tokens (its prefix and ${generated} generated)`;
      throw stepError(
        `--step ${step} is past the end of a target: ${what}, steps 0 to ${length - 1}.`,
        "Steps count from 0, over the target's tokens: pick a lower --step.",
        { step, prompt: index + 1, targetTokens: length },
      );
    }
  }
}
