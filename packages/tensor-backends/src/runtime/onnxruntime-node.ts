/**
 * The onnxruntime-node runtime: native CPU kernels, and CUDA when the installed binary ships the CUDA
 * provider (the npm package's CPU-only build does not, in which case the session falls back to CPU and
 * says why in `fallbacks`; ONNX Runtime also logs that failure to stderr, which its settings cannot silence). onnxruntime-node is an optional peer dependency, loaded on first use.
 */
import { TensorBackendError } from "../errors.ts";
import { createOrtSession, type OrtModuleLike, wrapOrtSession } from "./ort-adapter.ts";
import type { TensorRuntime } from "./types.ts";

/** Options of {@link createOnnxruntimeNodeRuntime}. */
export interface OnnxruntimeNodeOptions {
  /** Module loader, for tests or bundlers; default `import("onnxruntime-node")`. */
  load?: () => Promise<unknown>;
}

/** Name of the onnxruntime-node runtime. */
export const ONNXRUNTIME_NODE = "onnxruntime-node";

/** Load onnxruntime-node, turning a missing package into RUNTIME_UNAVAILABLE. */
export async function loadOnnxruntimeNode(load?: () => Promise<unknown>): Promise<OrtModuleLike> {
  try {
    const module = (await (load ?? (() => import("onnxruntime-node")))()) as OrtModuleLike & {
      default?: OrtModuleLike;
    };
    return module.InferenceSession === undefined && module.default !== undefined ? module.default : module;
  } catch (error) {
    throw new TensorBackendError(
      "RUNTIME_UNAVAILABLE",
      `onnxruntime-node could not be loaded: ${(error as Error).message}`,
      {
        hint: "Install it (`pnpm add onnxruntime-node@1.30.0`), or use the onnxruntime-web runtime.",
        cause: error,
      },
    );
  }
}

/**
 * A {@link TensorRuntime} backed by onnxruntime-node. Default providers: `["cpu"]`; ask for
 * `["cuda", "cpu"]` to use a GPU when the binary supports it.
 */
export function createOnnxruntimeNodeRuntime(options: OnnxruntimeNodeOptions = {}): TensorRuntime {
  let ort: Promise<OrtModuleLike> | undefined;
  return {
    name: ONNXRUNTIME_NODE,
    async createSession(model, sessionOptions = {}) {
      ort ??= loadOnnxruntimeNode(options.load);
      const module = await ort;
      return wrapOrtSession(module, await createOrtSession(module, model, sessionOptions, ["cpu"]));
    },
  };
}
