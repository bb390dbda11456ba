/** What the "Device" select offers. */
export type DeviceChoice = "auto" | "wasm" | "webgpu";

/** The runtime settings one load uses, and what the run info shows about them. */
export interface RuntimePlan {
  device: "wasm" | "webgpu";
  /** WebAssembly threads: min(4, cores) when cross-origin isolated, else 1. */
  numThreads: number;
  crossOriginIsolated: boolean;
  /** Why the plan differs from the choice, if it does. */
  notes: string[];
}

/** What the worker knows of its environment (passed in so the plan is a pure function). */
export interface RuntimeEnvironment {
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  hasWebGpu: boolean;
}

/**
 * Picks the device and thread count: WebGPU when asked or, on "auto", when `navigator.gpu`
 * exists; WebAssembly threads only where the page is cross-origin isolated (SharedArrayBuffer).
 */
export function planRuntime(choice: DeviceChoice, environment: RuntimeEnvironment): RuntimePlan {
  const notes: string[] = [];
  let device: RuntimePlan["device"] =
    choice === "webgpu" || (choice === "auto" && environment.hasWebGpu) ? "webgpu" : "wasm";
  if (device === "webgpu" && !environment.hasWebGpu) {
    notes.push("WebGPU is not available in this browser: running on WebAssembly");
    device = "wasm";
  }
  const numThreads = environment.crossOriginIsolated
    ? Math.max(1, Math.min(4, environment.hardwareConcurrency))
    : 1;
  if (!environment.crossOriginIsolated) notes.push("not cross-origin isolated: one WebAssembly thread");
  return { device, numThreads, crossOriginIsolated: environment.crossOriginIsolated, notes };
}
