/**
 * The onnxruntime-web runtime: WebAssembly everywhere, WebGPU in browsers that have it. No `node:`
 * import here: Node-specific setup (where the .wasm files are) lives in onnxruntime-web-node.ts.
 */
import { TensorBackendError } from "../errors.ts";
import { createOrtSession, type OrtModuleLike, wrapOrtSession } from "./ort-adapter.ts";
import type { TensorRuntime } from "./types.ts";

/** The `env.wasm` settings of onnxruntime-web we set. */
interface OrtWebEnv {
  wasm: { wasmPaths?: unknown; numThreads?: number; proxy?: boolean };
}

/** Options of {@link createOnnxruntimeWebRuntime}. */
export interface OnnxruntimeWebOptions {
  /** Where the .wasm/.mjs files are: a URL prefix or ONNX Runtime's `{ wasm, mjs }` object. */
  wasmPaths?: string | { wasm?: string | URL; mjs?: string | URL };
  /** WebAssembly threads (needs cross-origin isolation in browsers); Node should use 1. */
  numThreads?: number;
  /** Module loader, for bundlers or tests; default `import("onnxruntime-web")`. */
  load?: () => Promise<unknown>;
  /** Name reported by the runtime (default "onnxruntime-web"). */
  name?: string;
}

/** Name of the onnxruntime-web runtime. */
export const ONNXRUNTIME_WEB = "onnxruntime-web";

function hasWebGpu(): boolean {
  return typeof navigator !== "undefined" && "gpu" in navigator && navigator.gpu !== undefined;
}

/** Load onnxruntime-web and apply the env settings, turning failures into RUNTIME_UNAVAILABLE. */
export async function loadOnnxruntimeWeb(options: OnnxruntimeWebOptions = {}): Promise<OrtModuleLike> {
  let module: OrtModuleLike & { env: OrtWebEnv; default?: OrtModuleLike & { env: OrtWebEnv } };
  try {
    module = (await (options.load ?? (() => import("onnxruntime-web")))()) as typeof module;
  } catch (error) {
    throw new TensorBackendError(
      "RUNTIME_UNAVAILABLE",
      `onnxruntime-web could not be loaded: ${(error as Error).message}`,
      {
        hint: "Install onnxruntime-web@1.30.0, or check that your bundler serves its .wasm files.",
        cause: error,
      },
    );
  }
  const ort = module.InferenceSession === undefined && module.default !== undefined ? module.default : module;
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
  if (options.numThreads !== undefined) ort.env.wasm.numThreads = options.numThreads;
  return ort;
}

/**
 * A {@link TensorRuntime} backed by onnxruntime-web. Default providers: `["webgpu", "wasm"]` where
 * WebGPU exists, else `["wasm"]`. Settings are global to onnxruntime-web: the first runtime to load wins.
 */
export function createOnnxruntimeWebRuntime(options: OnnxruntimeWebOptions = {}): TensorRuntime {
  let ort: Promise<OrtModuleLike> | undefined;
  return {
    name: options.name ?? ONNXRUNTIME_WEB,
    async createSession(model, sessionOptions = {}) {
      if (sessionOptions.externalDataFolder !== undefined) {
        throw new TensorBackendError(
          "INVALID_ARGUMENT",
          "onnxruntime-web cannot read external tensors from a folder (externalDataFolder)",
          { hint: "Load them into the model first with loadExternalData(model, readFile)." },
        );
      }
      ort ??= loadOnnxruntimeWeb(options);
      const module = await ort;
      const defaults = hasWebGpu() ? ["webgpu", "wasm"] : ["wasm"];
      return wrapOrtSession(module, await createOrtSession(module, model, sessionOptions, defaults));
    },
  };
}
