import { TokenscopeError, throwIfAborted } from "../errors/index.ts";
import type { LanguageModel } from "../model/language-model.ts";
import type { Token } from "../model/token.ts";
import type { SequenceContrastRecord } from "../result/types.ts";
import { checkContrastOptions } from "./contrast-options.ts";
import { checkGenerationSettings } from "./generation-args.ts";
import { prepareSequences } from "./prepare-sequences.ts";
import { resolveStepFunction } from "./resolve-plan.ts";
import { checkStepRange } from "./step-range.ts";
import { computeStepScores } from "./step-scores.ts";
import type { AttributeOptions, StepFunctionChoice } from "./types.ts";

/** Options of {@link scoreSteps}: attribute()'s inputs, and the step scores to compute. */
export type ScoreStepsOptions = Pick<
  AttributeOptions,
  | "target"
  | "targetPrefix"
  | "generation"
  | "chatTemplate"
  | "steps"
  | "contrastTargets"
  | "contrastSources"
  | "contrastAlignments"
  | "signal"
  | "onProgress"
> & { stepScores: (string | StepFunctionChoice)[] };

/** One prompt's tokens and its step scores (null where a step was not scored). */
export interface ScoredSequence {
  sourceText: string;
  targetText: string;
  source: Token[];
  target: Token[];
  stepScores: Record<string, (number | null)[]>;
  contrast?: SequenceContrastRecord;
}

/**
 * Step scores without an attribution (Inseq's "dummy" method): the targets are prepared exactly as
 * `attribute()` prepares them (forced or generated, contrasts aligned), and every step score comes
 * from one forward pass per sequence (and one over its contrast). PECoRe's context-sensitivity step
 * runs on it. Errors as `attribute()`'s for the options it shares.
 */
export async function scoreSteps(
  model: LanguageModel,
  input: string | string[],
  options: ScoreStepsOptions,
): Promise<ScoredSequence[]> {
  const prompts = typeof input === "string" ? [input] : [...input];
  if (prompts.length === 0) {
    throw new TokenscopeError("INVALID_INPUT", "No prompt was given.", {
      hint: "Pass a prompt string or a non-empty array of prompts.",
    });
  }
  if (options.stepScores.length === 0) {
    throw new TokenscopeError("INVALID_INPUT", "scoreSteps needs at least one step score.", {
      hint: 'Name the step functions to compute, e.g. stepScores: ["probability", "entropy"].',
    });
  }
  const requested = options.stepScores.map((choice) => resolveStepFunction(choice, "Step score"));
  checkContrastOptions(options);
  checkStepRange(options.steps);
  if (options.target === undefined) checkGenerationSettings(options.generation ?? {});
  const attributed = resolveStepFunction("probability", "Attributed function");
  const prepared = await prepareSequences(model, prompts, options);
  const scored: ScoredSequence[] = [];
  for (const entry of prepared) {
    throwIfAborted(options.signal);
    const steps = entry.target.tokens.length;
    const stepScores = await computeStepScores(
      model,
      entry.sequence,
      { source: { dims: [steps, entry.source.tokens.length, 1], data: new Float64Array(0) } },
      requested,
      attributed,
      options.signal ? { signal: options.signal } : {},
    );
    scored.push({
      sourceText: entry.source.text,
      targetText: entry.target.text,
      source: entry.source.tokens,
      target: entry.target.tokens,
      stepScores,
      ...(entry.contrast ? { contrast: entry.contrast.record } : {}),
    });
  }
  return scored;
}
