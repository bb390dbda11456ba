/**
 * The one small contract every tensor runtime implements: make a session from a model, run it, dispose.
 */
import type { DataType, OnnxModel, TensorElements } from "../graph/types.ts";

/** A tensor going into or coming out of a runtime. float16 travels as its 16-bit patterns. */
export interface RuntimeTensor {
  dataType: DataType;
  dims: number[];
  data: TensorElements;
}

/** ONNX Runtime graph optimization levels. */
export type GraphOptimizationLevel = "disabled" | "basic" | "extended" | "all";

/** Execution providers by ONNX Runtime name ("cpu", "cuda", "wasm", "webgpu", ...). */
export type ExecutionProvider = "cpu" | "cuda" | "wasm" | "webgpu" | (string & {});

/** Options for {@link TensorRuntime.createSession}. */
export interface SessionOptions {
  /** Threads inside one operator (ONNX Runtime `intraOpNumThreads`). */
  intraOpThreads?: number;
  /** Threads across operators (ONNX Runtime `interOpNumThreads`). */
  interOpThreads?: number;
  /**
   * Graph rewrites ONNX Runtime may do; "disabled" keeps every node (useful for checking gradients).
   * Default: ONNX Runtime's ("all"), except "basic" for float64 models, whose fused contrib operators
   * have no float64 kernels.
   */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /**
   * Providers in order of preference, e.g. `["cuda", "cpu"]` or `["webgpu", "wasm"]`. A provider that
   * cannot start is dropped and the reason recorded in {@link RuntimeSession.fallbacks}.
   */
  providers?: ExecutionProvider[];
  /**
   * Folder the model's external tensors (`TensorConstant.external`) are read from, left in their
   * files instead of loaded first (onnxruntime-node only). ONNX Runtime memory-maps them on the CPU,
   * so every session over one file shares its pages; weight prepacking is turned off with it, since a
   * prepacked weight is a private copy per session.
   */
  externalDataFolder?: string;
  /** Anything else ONNX Runtime's `InferenceSession.SessionOptions` takes, passed through as is. */
  ortOptions?: Record<string, unknown>;
}

/** A loaded model ready to run. */
export interface RuntimeSession {
  /** Graph input names, in model order. */
  readonly inputNames: readonly string[];
  /** Graph output names, in model order. */
  readonly outputNames: readonly string[];
  /** Providers the session was created with (after any fallback). */
  readonly providers: readonly string[];
  /** Why a requested provider was dropped or the optimization level lowered, one line each; empty when neither was. */
  readonly fallbacks: readonly string[];
  /** Run the model; `fetches` limits the outputs computed (default: all). */
  run(feeds: Record<string, RuntimeTensor>, fetches?: string[]): Promise<Record<string, RuntimeTensor>>;
  /** Free the native resources. */
  dispose(): Promise<void>;
}

/** A runtime able to execute ONNX models. */
export interface TensorRuntime {
  /** Stable name, e.g. "onnxruntime-node". */
  readonly name: string;
  /** Load a model (bytes or a plain model, which is encoded first). */
  createSession(model: Uint8Array | OnnxModel, options?: SessionOptions): Promise<RuntimeSession>;
}
