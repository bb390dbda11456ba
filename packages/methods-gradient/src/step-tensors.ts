import type { MethodSequence, MethodSequenceOutput, RawAttributions } from "@tokenscope/core";

/** Raw [steps, columns, dims] tensors of one sequence, filled step by step. */
export interface StepTensors {
  source: RawAttributions;
  target: RawAttributions | undefined;
}

/**
 * Raw tensors for `sequence`, every cell NaN ("not computed"): rows of steps
 * that are not attributed, and target-prefix cells u ≥ t, stay empty.
 */
export function createStepTensors(
  sequence: MethodSequence,
  dims: number,
  attributeTarget: boolean,
): StepTensors {
  const steps = sequence.target.length;
  const sources = sequence.source.length;
  return {
    source: { dims: [steps, sources, dims], data: new Float64Array(steps * sources * dims).fill(Number.NaN) },
    target: attributeTarget
      ? { dims: [steps, steps, dims], data: new Float64Array(steps * steps * dims).fill(Number.NaN) }
      : undefined,
  };
}

/**
 * Writes the attributions of target step `step` from a full-input row
 * [source + target positions, dims]: source positions to the source tensor,
 * target positions u < step to the target-prefix tensor. Later positions are
 * not written — the objective at this step cannot depend on them.
 */
export function writeStep(
  tensors: StepTensors,
  sequence: MethodSequence,
  step: number,
  row: ArrayLike<number>,
): void {
  const dims = tensors.source.dims[2];
  const sources = sequence.source.length;
  const steps = sequence.target.length;
  const sourceData = tensors.source.data;
  for (let i = 0; i < sources * dims; i++) sourceData[step * sources * dims + i] = row[i]!;
  const target = tensors.target;
  if (!target) return;
  for (let u = 0; u < step; u++) {
    for (let d = 0; d < dims; d++)
      target.data[(step * steps + u) * dims + d] = row[(sources + u) * dims + d]!;
  }
}

/** The method output of filled tensors (target tensor only when it was asked for). */
export function stepOutput(
  tensors: StepTensors,
  stepScores: Record<string, number[]>,
  extras?: Record<string, unknown>,
): MethodSequenceOutput {
  return {
    source: tensors.source,
    ...(tensors.target ? { target: tensors.target } : {}),
    stepScores,
    ...(extras ? { extras } : {}),
  };
}
