/**
 * Run an {@link OnnxModel} on an onnxruntime module (onnxruntime-node, or onnxruntime-web's wasm
 * backend from Node) for tests. The module is passed in, so this file imports neither runtime.
 */
import { encodeModel } from "../../graph/codec.ts";
import type { DataType, OnnxModel } from "../../graph/types.ts";

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

interface OrtTensorLike {
  type: string;
  dims: readonly number[];
  data: unknown;
}

/** The part of an onnxruntime module the tests use (node and web share it). */
export interface OrtModuleLike {
  InferenceSession: {
    create(
      bytes: Uint8Array,
      options?: Record<string, unknown>,
    ): Promise<{
      run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensorLike>>;
    }>;
  };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => unknown;
}

const ORT_TYPES: Partial<Record<DataType, string>> = {
  float32: "float32",
  float64: "float64",
  int64: "int64",
  int32: "int32",
  bool: "bool",
};

/** A session factory over an onnxruntime module. */
export function ortSessionFactory(ort: OrtModuleLike, options: Record<string, unknown> = {}): SessionFactory {
  return async (model) => {
    const session = await ort.InferenceSession.create(encodeModel(model), options);
    return async (feeds) => {
      const ortFeeds: Record<string, unknown> = {};
      for (const [name, tensor] of Object.entries(feeds)) {
        ortFeeds[name] = new ort.Tensor(
          ORT_TYPES[tensor.dataType] ?? tensor.dataType,
          tensor.data,
          tensor.dims,
        );
      }
      const results = await session.run(ortFeeds);
      const outputs: Record<string, HostTensor> = {};
      for (const [name, tensor] of Object.entries(results)) {
        const dataType = (tensor.type === "float64" ? "float64" : tensor.type) as DataType;
        outputs[name] = { dataType, dims: [...tensor.dims], data: tensor.data as HostTensor["data"] };
      }
      return outputs;
    };
  };
}
