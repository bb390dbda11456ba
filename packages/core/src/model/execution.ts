/**
 * Where a model's computations run, as it was loaded: what a user asked for and what they got, so
 * that a CUDA request that ended on the CPU is said once, plainly, and kept with every result.
 */
export interface ExecutionInfo {
  /** The tensor runtime ("onnxruntime-node", "onnxruntime-web", ...). */
  runtime: string;
  /** The device computations run on: "cpu", "cuda", "wasm", "webgpu", ... */
  device: string;
  /** The device asked for, when it differs from `device`. */
  requestedDevice?: string;
  /** Threads inside one operator, when set. */
  threads?: number;
  /** Why a request fell back (runtime or device), one line each; empty when nothing did. */
  notes: string[];
}
