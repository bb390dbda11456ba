/**
 * What the onnxruntime-node and onnxruntime-web runtimes share: both expose the onnxruntime-common API,
 * so session creation with provider fallback, tensor conversion and error translation live here once.
 */
import { TensorBackendError, type TensorBackendErrorCode } from "../errors.ts";
import { encodeModel } from "../graph/codec.ts";
import { hasExternalData } from "../graph/external-data.ts";
import type { DataType, OnnxModel, TensorElements } from "../graph/types.ts";
import {
  defaultOptimizationLevel,
  hasOptimizationLevel,
  isMissingFusedKernel,
} from "./optimization-level.ts";
import type { RuntimeSession, RuntimeTensor, SessionOptions } from "./types.ts";

/** The part of an onnxruntime-common tensor we use. */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** The part of an onnxruntime-common InferenceSession we use. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(
    feeds: Record<string, OrtTensorLike>,
    fetches?: readonly string[],
  ): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/** The part of an onnxruntime module (node or web) we use. */
export interface OrtModuleLike {
  InferenceSession: { create(model: Uint8Array, options?: object): Promise<OrtSessionLike> };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensorLike;
}

const ORT_TYPES: ReadonlySet<string> = new Set([
  "float32",
  "float64",
  "float16",
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "bool",
  "string",
]);

/** The node ONNX Runtime blames in an error message, when it names one. */
export function nodeNamedInOrtMessage(message: string): string | undefined {
  const patterns = [/Node \(([^)]*)\)/, /node\. Name:'([^']*)'/, /[Nn]ode name: ?'?([^'\s,]+)/];
  for (const pattern of patterns) {
    const match = pattern.exec(message);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

/** Wrap an ONNX Runtime failure, keeping its message and pulling out the node it names. */
export function ortError(
  code: TensorBackendErrorCode,
  what: string,
  error: unknown,
  hint: string,
): TensorBackendError {
  const message = error instanceof Error ? error.message : String(error);
  const node = nodeNamedInOrtMessage(message);
  const where = node === undefined ? "" : ` (node '${node}')`;
  return new TensorBackendError(code, `${what}${where}: ${message}`, {
    hint,
    cause: error,
    details: node === undefined ? {} : { node },
  });
}

/** Convert our tensor to an ONNX Runtime tensor. */
export function toOrtTensor(ort: OrtModuleLike, name: string, tensor: RuntimeTensor): OrtTensorLike {
  if (!ORT_TYPES.has(tensor.dataType)) {
    throw new TensorBackendError(
      "DTYPE_MISMATCH",
      `input '${name}' is ${tensor.dataType}, which ONNX Runtime JS cannot feed`,
      {
        hint: "Cast it to float32 (or float16) before feeding it.",
      },
    );
  }
  return new ort.Tensor(tensor.dataType, tensor.data, tensor.dims);
}

/** Convert an ONNX Runtime tensor to ours (float16 as Uint16Array bits even where Float16Array exists). */
export function fromOrtTensor(name: string, tensor: OrtTensorLike): RuntimeTensor {
  if (!ORT_TYPES.has(tensor.type)) {
    throw new TensorBackendError(
      "DTYPE_MISMATCH",
      `output '${name}' is ${tensor.type}, which tensor-backends does not hold`,
      {
        hint: "Cast that output to float32 in the model.",
      },
    );
  }
  let data = tensor.data as TensorElements;
  if (tensor.type === "float16" && !(data instanceof Uint16Array)) {
    const view = data as unknown as ArrayBufferView & { length: number };
    data = new Uint16Array(view.buffer, view.byteOffset, view.length);
  }
  return { dataType: tensor.type as DataType, dims: [...tensor.dims], data };
}

const LEVELS = { disabled: "disabled", basic: "basic", extended: "extended", all: "all" } as const;

/**
 * ONNX Runtime session options for ours, with `providers` resolved to `executionProviders` (none:
 * ONNX Runtime's own default) and the memory pattern off unless `ortOptions` turns it on.
 */
export function toOrtOptions(options: SessionOptions, providers: readonly string[]): Record<string, unknown> {
  // ONNX Runtime's memory pattern plans a block per input shape and keeps it beside the arena, so
  // repeated calls of one shape peaked at twice a single call (83 → 161 MB for a 485-token gradient
  // row) and a memory budget could not hold; without it calls were no slower here. Callers may
  // turn it back on through `ortOptions`.
  const ortOptions: Record<string, unknown> = { enableMemPattern: false, ...options.ortOptions };
  if (providers.length > 0) ortOptions["executionProviders"] = [...providers];
  if (options.intraOpThreads !== undefined) ortOptions["intraOpNumThreads"] = options.intraOpThreads;
  if (options.interOpThreads !== undefined) ortOptions["interOpNumThreads"] = options.interOpThreads;
  if (options.graphOptimizationLevel !== undefined) {
    ortOptions["graphOptimizationLevel"] = LEVELS[options.graphOptimizationLevel];
  }
  if (options.externalDataFolder !== undefined) {
    // onnxruntime-node flattens `extra` into session config entries ("session.<key>").
    const extra = (ortOptions["extra"] ?? {}) as Record<string, Record<string, string> | undefined>;
    ortOptions["extra"] = {
      ...extra,
      session: {
        ...extra["session"],
        model_external_initializers_file_folder_path: options.externalDataFolder,
        disable_prepacking: "1",
        // Mapped weights may be int8 blocks behind DequantizeLinear. ONNX Runtime's QDQ fusions turn
        // DequantizeLinear + MatMul over inline initializers into kernels that quantize the
        // activations too (0.1% off on a small product here); they are off, so no widening of a
        // weight file's blocks is ever approximated, whatever ONNX Runtime fuses next.
        disable_quant_qdq: "1",
      },
    };
  }
  return ortOptions;
}

/**
 * Model bytes for ONNX Runtime: plain models are encoded; external tensors must be loaded first unless
 * the options name the folder ONNX Runtime reads them from.
 */
export function modelBytes(model: Uint8Array | OnnxModel, options: SessionOptions = {}): Uint8Array {
  if (model instanceof Uint8Array) return model;
  if (options.externalDataFolder === undefined && hasExternalData(model)) {
    throw new TensorBackendError(
      "INVALID_ARGUMENT",
      "the model has external tensor data that is not loaded",
      {
        hint: "Call loadExternalData(model, readFile) before creating the session, or name the folder of its files in `externalDataFolder` (onnxruntime-node).",
      },
    );
  }
  return encodeModel(model);
}

/**
 * Create a session trying `providers` in order: when a non-final provider fails to start, it is dropped,
 * the reason recorded, and the rest tried. Without a caller's optimization level, float64 models get
 * "basic" (see optimization-level.ts), and model bytes that fail on a fused kernel are retried with
 * "basic", the reason recorded too. The last failure is thrown as an INVALID_MODEL error naming the
 * node ONNX Runtime blamed.
 */
export async function createOrtSession(
  ort: OrtModuleLike,
  model: Uint8Array | OnnxModel,
  options: SessionOptions,
  defaultProviders: readonly string[],
): Promise<{ session: OrtSessionLike; providers: string[]; fallbacks: string[] }> {
  const bytes = modelBytes(model, options);
  let providers = [...(options.providers ?? defaultProviders)];
  const fallbacks: string[] = [];
  const level = defaultOptimizationLevel(model, options);
  let effective: SessionOptions =
    level === undefined ? options : { ...options, graphOptimizationLevel: level };
  for (;;) {
    try {
      const session = await ort.InferenceSession.create(bytes, toOrtOptions(effective, providers));
      return { session, providers, fallbacks };
    } catch (error) {
      if (!hasOptimizationLevel(effective) && isMissingFusedKernel(error)) {
        const message = error instanceof Error ? error.message : String(error);
        fallbacks.push(`graph optimization "all" → "basic": ${message.split("\n")[0]}`);
        effective = { ...effective, graphOptimizationLevel: "basic" };
        continue;
      }
      if (providers.length <= 1) {
        throw ortError(
          "INVALID_MODEL",
          "ONNX Runtime could not load the model",
          error,
          "Check that node's input types and shapes and the model's opset imports (inspectModel lists them).",
        );
      }
      const message = error instanceof Error ? error.message : String(error);
      fallbacks.push(`${providers[0]}: ${message.split("\n")[0]}`);
      providers = providers.slice(1);
    }
  }
}

/** Wrap an ONNX Runtime session in our {@link RuntimeSession}. */
export function wrapOrtSession(
  ort: OrtModuleLike,
  created: { session: OrtSessionLike; providers: string[]; fallbacks: string[] },
): RuntimeSession {
  const { session } = created;
  return {
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    providers: created.providers,
    fallbacks: created.fallbacks,
    async run(feeds, fetches) {
      const ortFeeds: Record<string, OrtTensorLike> = {};
      for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(ort, name, tensor);
      let outputs: Record<string, OrtTensorLike>;
      try {
        outputs = await (fetches === undefined ? session.run(ortFeeds) : session.run(ortFeeds, fetches));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const code = /shape|dimension|rank/i.test(message)
          ? "SHAPE_MISMATCH"
          : /type/i.test(message)
            ? "DTYPE_MISMATCH"
            : "INVALID_ARGUMENT";
        throw ortError(
          code,
          "ONNX Runtime failed to run the model",
          error,
          "Check the feeds' names, element types and shapes against the model inputs.",
        );
      }
      const result: Record<string, RuntimeTensor> = {};
      for (const [name, tensor] of Object.entries(outputs)) result[name] = fromOrtTensor(name, tensor);
      return result;
    },
    async dispose() {
      await session.release();
    },
  };
}
