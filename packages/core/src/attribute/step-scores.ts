import {
  contrastStep,
  decoderInputIds,
  sourceLengthsFor,
  stepPosition,
  targetId,
} from "../methods/sequence-inputs.ts";
import type { MethodSequence, MethodSequenceOutput } from "../methods/types.ts";
import { assertCapabilities } from "../model/assert-capabilities.ts";
import type { LanguageModel } from "../model/language-model.ts";
import type { AbortOptions } from "../progress.ts";
import { evaluateStepFunction } from "../step-functions/evaluate.ts";
import type { LogitVector } from "../step-functions/types.ts";
import type { ResolvedStepFunction } from "./resolve-plan.ts";

/** Per target position, a finite score or null (not computed, or not finite). */
type ScoreRow = (number | null)[];

function toScoreRow(values: readonly number[], length: number): ScoreRow {
  return Array.from({ length }, (_, index) => {
    const value = values[index];
    return value !== undefined && Number.isFinite(value) ? value : null;
  });
}

function sameParameters(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The step scores of one sequence. A method's own scores are kept (e.g.
 * integrated gradients' `deltas`), except the attributed function's, which the
 * method keys by its id: those fill a requested step score only when it is the
 * same function with the same parameters — they came from the very logits the
 * method differentiated. The other requested scores come from ONE forward pass
 * over the sequence with the logits of every attributed step, and, in a
 * contrastive run, one over the contrast sequence (contrast source and contrast
 * target) with the logits of every step whose contrast input is not its own.
 */
export async function computeStepScores(
  model: LanguageModel,
  sequence: MethodSequence,
  output: MethodSequenceOutput,
  requested: readonly ResolvedStepFunction[],
  attributed: ResolvedStepFunction,
  options: AbortOptions,
): Promise<Record<string, ScoreRow>> {
  const length = sequence.target.length;
  const scores: Record<string, ScoreRow> = {};
  for (const [id, values] of Object.entries(output.stepScores ?? {})) {
    if (id !== attributed.id) scores[id] = toScoreRow(values, length);
  }
  const fromMethod = output.stepScores?.[attributed.id];
  const missing: ResolvedStepFunction[] = [];
  for (const score of requested) {
    if (fromMethod && score.id === attributed.id && sameParameters(score.parameters, attributed.parameters)) {
      scores[score.id] = toScoreRow(fromMethod, length);
    } else {
      missing.push(score);
    }
  }
  if (missing.length === 0 || sequence.steps.length === 0) return scores;
  assertCapabilities(model, ["forward"], `Step score "${missing[0]!.id}"`);
  const positions = sequence.steps.map((step) => stepPosition(sequence, step));
  const { logits } = await model.forward!({
    inputs: { ids: [decoderInputIds(sequence)], ...sourceLengthsFor(model, [sequence.source.length]) },
    positions: [positions],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const vocab = logits.dims[logits.dims.length - 1]!;
  const contrastLogits = await contrastLogitsOf(model, sequence, options);
  for (const score of missing) {
    const values: number[] = new Array<number>(length).fill(Number.NaN);
    sequence.steps.forEach((step, row) => {
      const contrast = contrastStep(sequence, step);
      const own = logits.data.subarray(row * vocab, (row + 1) * vocab);
      // A contrast input that is the step's own input has the step's own logits.
      const contrastSide = contrast ? (contrastLogits?.get(step) ?? own) : undefined;
      values[step] = evaluateStepFunction(
        score.stepFunction,
        {
          logits: own,
          targetId: targetId(sequence, step),
          ...(contrast ? { contrastTargetId: contrast.targetId } : {}),
          ...(contrastSide ? { contrastLogits: contrastSide } : {}),
          parameters: score.parameters,
        },
        { withGradient: false },
      ).value;
    });
    scores[score.id] = toScoreRow(values, length);
  }
  return scores;
}

/**
 * Per attributed step whose contrast input is not its own input, the contrast logits: one forward
 * pass over the whole contrast sequence (a causal model's logits at a position see only the tokens
 * before it, so every step's contrast prefix is a prefix of it).
 */
async function contrastLogitsOf(
  model: LanguageModel,
  sequence: MethodSequence,
  options: AbortOptions,
): Promise<Map<number, LogitVector> | undefined> {
  const { contrast } = sequence;
  if (!contrast) return undefined;
  const separate = sequence.steps
    .map((step) => ({ step, input: contrastStep(sequence, step)! }))
    .filter(({ input }) => !input.self);
  if (separate.length === 0) return undefined;
  const ids = [...contrast.source, ...contrast.target].map((token) => token.id!);
  const { logits } = await model.forward!({
    inputs: { ids: [ids], ...sourceLengthsFor(model, [contrast.source.length]) },
    positions: [separate.map(({ input }) => input.position)],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const vocab = logits.dims[logits.dims.length - 1]!;
  return new Map(
    separate.map(({ step }, row) => [step, logits.data.subarray(row * vocab, (row + 1) * vocab)]),
  );
}
