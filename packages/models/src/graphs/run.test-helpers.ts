import type { OnnxModel, RuntimeSession, RuntimeTensor } from "@tokenscope/tensor-backends";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import type { DecoderGraph } from "./types.ts";

const runtime = createOnnxruntimeNodeRuntime();
const sessions = new WeakMap<OnnxModel, Promise<RuntimeSession>>();

/** A session per model, created on first use (ONNX Runtime's graph optimisations off: we test our graph). */
export function sessionOf(model: OnnxModel): Promise<RuntimeSession> {
  let session = sessions.get(model);
  if (session === undefined) {
    session = runtime.createSession(model, { graphOptimizationLevel: "disabled", intraOpThreads: 1 });
    sessions.set(model, session);
  }
  return session;
}

/** An int64 tensor from equal-length rows. */
export function int64Rows(rows: readonly (readonly number[])[]): RuntimeTensor {
  return {
    dataType: "int64",
    dims: [rows.length, rows[0]?.length ?? 0],
    data: BigInt64Array.from(rows.flat(), (value) => BigInt(value)),
  };
}

/** A float tensor of the graph's type. */
export function floatTensor(
  values: ArrayLike<number>,
  dims: number[],
  dataType: "float32" | "float64" = "float32",
): RuntimeTensor {
  return {
    dataType,
    dims,
    data: dataType === "float64" ? Float64Array.from(values) : Float32Array.from(values),
  };
}

/** The feeds of unpadded rows: the ids, a mask of ones, positions 0..seq-1. */
export function plainFeeds(ids: readonly (readonly number[])[]): Record<string, RuntimeTensor> {
  return {
    input_ids: int64Rows(ids),
    attention_mask: int64Rows(ids.map((row) => row.map(() => 1))),
    position_ids: int64Rows(ids.map((row) => row.map((_, position) => position))),
  };
}

/** Runs a decoder graph and returns its outputs as float64 arrays, by name. */
export async function runDecoder(
  graph: DecoderGraph,
  feeds: Record<string, RuntimeTensor>,
): Promise<Record<string, { dims: number[]; data: Float64Array }>> {
  const session = await sessionOf(graph.model);
  const outputs = await session.run(feeds);
  const result: Record<string, { dims: number[]; data: Float64Array }> = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    result[name] = { dims: tensor.dims, data: Float64Array.from(tensor.data as Float32Array) };
  }
  return result;
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
