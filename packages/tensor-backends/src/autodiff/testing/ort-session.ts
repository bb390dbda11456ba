/**
 * Run an {@link OnnxModel} on an onnxruntime module (onnxruntime-node, or onnxruntime-web's wasm
 * backend from Node) for tests, through the same session wrapper the runtimes use. The module is
 * passed in, so this file imports neither runtime.
 */
import type { DataType, OnnxModel } from "../../graph/types.ts";
import { createOrtSession, type OrtModuleLike, wrapOrtSession } from "../../runtime/ort-adapter.ts";
import type { SessionOptions } from "../../runtime/types.ts";

/** A tensor on the host. */
export interface HostTensor {
  dataType: DataType;
  dims: number[];
  data: Float64Array | Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

/** Runs one model: feeds in, every graph output out. */
export type TestSession = (feeds: Record<string, HostTensor>) => Promise<Record<string, HostTensor>>;

/** Makes a {@link TestSession} for a model. */
export type SessionFactory = (model: OnnxModel) => Promise<TestSession>;

/** A session factory over an onnxruntime module, with the module's default execution provider. */
export function ortSessionFactory(ort: OrtModuleLike, options: SessionOptions = {}): SessionFactory {
  return async (model) => {
    const session = wrapOrtSession(ort, await createOrtSession(ort, model, options, []));
    // Test models compute numbers and booleans only, never strings.
    return async (feeds) => (await session.run(feeds)) as Record<string, HostTensor>;
  };
}
