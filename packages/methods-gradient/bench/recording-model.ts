import type { LanguageModel, ModelInputs, TensorData } from "@tokenscope/core";
import { type FlopShape, forwardFlops, gradientCallFlops, lmHeadFlops } from "./flops.ts";

/** What one model call carried: rows, their length, how many distinct inputs, logit positions. */
export interface RecordedCall {
  kind: "gradients" | "forward";
  rows: number;
  length: number;
  /** Distinct input rows (the model runs each once and differentiates every row's objective against it). */
  inputs: number;
  /** Positions whose logits the call computes (forward calls). */
  logitPositions: number;
}

/** A model whose calls are recorded, and the record. */
export interface RecordingModel {
  model: LanguageModel;
  calls: RecordedCall[];
}

function rowKey(data: TensorData, start: number, size: number): string {
  // FNV-1a over the float32 bits; collisions would only undercount the forward work.
  let hash = 0x811c9dc5;
  const bits = new Uint32Array(new Float32Array(data.subarray(start, start + size)).buffer);
  for (const word of bits) hash = Math.imul(hash ^ word, 0x01000193);
  return `${hash >>> 0}`;
}

function describeInputs(inputs: ModelInputs): { rows: number; length: number; inputs: number } {
  if ("ids" in inputs) {
    const keys = new Set(inputs.ids.map((row) => row.join(",")));
    return { rows: inputs.ids.length, length: inputs.ids[0]?.length ?? 0, inputs: keys.size };
  }
  const [rows, length, hidden] = inputs.embeddings.dims as [number, number, number];
  const size = length * hidden;
  const keys = new Set<string>();
  for (let row = 0; row < rows; row++) keys.add(rowKey(inputs.embeddings.data, row * size, size));
  return { rows, length, inputs: keys.size };
}

/**
 * Wraps `model` so that every `gradients` and `forward` call is recorded with its shape, to count
 * the FLOPs a run executed without reaching into the model.
 */
export function recording(model: LanguageModel): RecordingModel {
  const calls: RecordedCall[] = [];
  const wrapped: LanguageModel = { ...model };
  if (model.gradients) {
    const gradients = model.gradients;
    wrapped.gradients = (request) => {
      calls.push({ kind: "gradients", ...describeInputs(request.inputs), logitPositions: 0 });
      return gradients(request);
    };
  }
  if (model.forward) {
    const forward = model.forward;
    wrapped.forward = (request) => {
      const described = describeInputs(request.inputs);
      const logitPositions =
        request.positions?.reduce((total, row) => total + row.length, 0) ?? described.rows * described.length;
      // A forward call runs every row, equal or not.
      calls.push({ kind: "forward", ...described, inputs: described.rows, logitPositions });
      return forward(request);
    };
  }
  return { model: wrapped, calls };
}

/** The FLOPs of recorded calls (flops.ts): gradient calls per distinct input and row, forward calls per row. */
export function recordedFlops(shape: FlopShape, calls: readonly RecordedCall[]): number {
  let total = 0;
  for (const call of calls) {
    total +=
      call.kind === "gradients"
        ? gradientCallFlops(shape, call.length, call.inputs, call.rows)
        : call.rows * forwardFlops(shape, call.length, 0) + call.logitPositions * lmHeadFlops(shape);
  }
  return total;
}
