/**
 * Attribution the way Inseq drives Captum: one target step at a time, each on its own prefix (the
 * source and the targets before it), the objective being the probability of the step's token at the
 * prefix's last position. Saliency is one gradient call of batch 1 per step; integrated gradients
 * one call of the step's interpolated inputs (Captum's internal_batch_size = n_steps, here every
 * point at once) plus one forward of the path's two ends for the convergence delta, as Captum's
 * `return_convergence_delta` does. Runs through core's model interface only, on the same model.
 */
import {
  decoderInputIds,
  evaluateStepFunction,
  getStepFunction,
  type LanguageModel,
  type MethodSequence,
  targetId,
} from "@tokenscope/core";
import { quadrature } from "../src/index.ts";

/** One step's attribution over its prefix [length, hidden] and, for IG, its completeness terms. */
export interface LoopStep {
  length: number;
  attribution: Float64Array;
  /** f(x) and f(x′) at the step (integrated gradients only). */
  inputScore?: number;
  baselineScore?: number;
  /** Σ attribution − (f(x) − f(x′)) (integrated gradients only). */
  delta?: number;
}

const PROBABILITY = "probability";

function prefixOf(sequence: MethodSequence, step: number): number[] {
  return decoderInputIds(sequence).slice(0, sequence.source.length + step);
}

function gradientRequest(embeddings: Float32Array, rows: number, length: number, hidden: number, id: number) {
  return {
    inputs: { embeddings: { data: embeddings, dims: [rows, length, hidden] } },
    objective: {
      kind: "stepFunction" as const,
      stepFunction: PROBABILITY,
      positions: new Array<number>(rows).fill(length - 1),
      targetIds: new Array<number>(rows).fill(id),
    },
    wrt: { kind: "embeddings" as const },
  };
}

/** Saliency (|∂p/∂x|) of every step of `sequence`, one batch-1 gradient call per step. */
export async function saliencyLoop(model: LanguageModel, sequence: MethodSequence): Promise<LoopStep[]> {
  const steps: LoopStep[] = [];
  for (const step of sequence.steps) {
    const prefix = prefixOf(sequence, step);
    const embedded = await model.embed!([prefix]);
    const hidden = embedded.dims[2]!;
    const result = await model.gradients!(
      gradientRequest(Float32Array.from(embedded.data), 1, prefix.length, hidden, targetId(sequence, step)),
    );
    steps.push({ length: prefix.length, attribution: Float64Array.from(result.gradients.data, Math.abs) });
  }
  return steps;
}

function probability(logits: ArrayLike<number>, id: number): number {
  return evaluateStepFunction(
    getStepFunction(PROBABILITY),
    { logits: Float64Array.from(logits), targetId: id, parameters: {} },
    { withGradient: false },
  ).value;
}

/**
 * Integrated gradients (Gauss–Legendre, `nSteps` points, the unknown token's embedding as baseline
 * at every position) of every step of `sequence`, one batched gradient call per step.
 */
export async function integratedGradientsLoop(
  model: LanguageModel,
  sequence: MethodSequence,
  nSteps: number,
): Promise<LoopStep[]> {
  const { unk, pad } = model.info.specialTokens;
  const baselineId = unk ?? pad;
  if (baselineId === undefined) throw new Error("the model defines no unknown or padding token");
  const { alphas, weights } = quadrature("gausslegendre", nSteps);
  const steps: LoopStep[] = [];
  for (const step of sequence.steps) {
    const prefix = prefixOf(sequence, step);
    const length = prefix.length;
    const [input, baseline] = splitRows(await model.embed!([prefix, prefix.map(() => baselineId)]));
    const size = input.length;
    const hidden = size / length;
    const points = new Float32Array(nSteps * size);
    for (let k = 0; k < nSteps; k++) {
      for (let i = 0; i < size; i++)
        points[k * size + i] = baseline[i]! + alphas[k]! * (input[i]! - baseline[i]!);
    }
    const id = targetId(sequence, step);
    const result = await model.gradients!(gradientRequest(points, nSteps, length, hidden, id));
    const attribution = new Float64Array(size);
    for (let k = 0; k < nSteps; k++) {
      for (let i = 0; i < size; i++) attribution[i]! += weights[k]! * result.gradients.data[k * size + i]!;
    }
    for (let i = 0; i < size; i++) attribution[i]! *= input[i]! - baseline[i]!;
    const ends = new Float32Array(2 * size);
    ends.set(input);
    ends.set(baseline, size);
    const { logits } = await model.forward!({
      inputs: { embeddings: { data: ends, dims: [2, length, hidden] } },
      positions: [[length - 1], [length - 1]],
    });
    const vocab = logits.dims[logits.dims.length - 1]!;
    const inputScore = probability(logits.data.subarray(0, vocab), id);
    const baselineScore = probability(logits.data.subarray(vocab, 2 * vocab), id);
    let sum = 0;
    for (const value of attribution) sum += value;
    steps.push({ length, attribution, inputScore, baselineScore, delta: sum - (inputScore - baselineScore) });
  }
  return steps;
}

function splitRows(embedded: {
  data: ArrayLike<number>;
  dims: readonly number[];
}): [Float32Array, Float32Array] {
  const size = embedded.dims[1]! * embedded.dims[2]!;
  const data = Float32Array.from(embedded.data);
  return [data.subarray(0, size), data.subarray(size, 2 * size)];
}
