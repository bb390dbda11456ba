/**
 * The onnxruntime-node runtime: native CPU kernels, and CUDA when the installed package has its CUDA
 * provider library. The npm package ships CPU binaries only; on linux/x64 its install script downloads
 * the CUDA 12 provider from NuGet (skipped with ONNXRUNTIME_NODE_INSTALL=skip, by pnpm's default of not
 * running install scripts, and failing offline). A CUDA request without that library is answered on the
 * CPU with the reason in `fallbacks`, without asking ONNX Runtime to load a library that is not there.
 * onnxruntime-node is an optional peer dependency, loaded on first use.
 */
import { TensorBackendError } from "../errors.ts";
import { createOrtSession, type OrtModuleLike, wrapOrtSession } from "./ort-adapter.ts";
import type { SessionOptions, TensorRuntime } from "./types.ts";

/** ONNX Runtime's log severities, least to most severe. */
export type OrtLogLevel = "verbose" | "info" | "warning" | "error" | "fatal";

/** Options of {@link createOnnxruntimeNodeRuntime}. */
export interface OnnxruntimeNodeOptions {
  /** Module loader, for tests or bundlers; default `import("onnxruntime-node")`. */
  load?: () => Promise<unknown>;
  /**
   * ONNX Runtime's own log level, set once per process before its first session (default "fatal"):
   * its logger writes coloured lines straight to stderr, and every failure it logs is also thrown
   * to us and reported with the error, so lower levels only duplicate messages.
   */
  logLevel?: OrtLogLevel;
  /**
   * Whether the installed binary has the CUDA provider; default: looks for its provider library next
   * to the binding (linux: libonnxruntime_providers_cuda.so, windows: onnxruntime_providers_cuda.dll).
   */
  hasCudaProvider?: () => Promise<boolean>;
}

/** Name of the onnxruntime-node runtime. */
export const ONNXRUNTIME_NODE = "onnxruntime-node";

/** How to get the CUDA provider, for the fallback reason and errors. */
export const CUDA_INSTALL_HINT =
  "to fetch it, run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (linux/x64 or win32/x64 with CUDA 12 and cuDNN 9; it downloads from NuGet)";

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
        hint: "Install it (`ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0`: the CPU binaries are in the npm package), or use the onnxruntime-web runtime.",
        cause: error,
      },
    );
  }
}

/** True when onnxruntime-node's CUDA provider library sits beside its binding for this platform. */
export async function onnxruntimeNodeHasCudaProvider(): Promise<boolean> {
  const [{ createRequire }, { existsSync }, { dirname, join }] = await Promise.all([
    import("node:module"),
    import("node:fs"),
    import("node:path"),
  ]);
  const file =
    process.platform === "win32"
      ? "onnxruntime_providers_cuda.dll"
      : process.platform === "linux"
        ? "libonnxruntime_providers_cuda.so"
        : undefined;
  if (!file) return false;
  try {
    const packageJson = createRequire(import.meta.url).resolve("onnxruntime-node/package.json");
    const folder = join(dirname(packageJson), "bin", "napi-v6", process.platform, process.arch);
    return existsSync(join(folder, file));
  } catch {
    return false;
  }
}

/**
 * A {@link TensorRuntime} backed by onnxruntime-node. Default providers: `["cpu"]`; ask for
 * `["cuda", "cpu"]` to use a GPU when the binary supports it.
 */
export function createOnnxruntimeNodeRuntime(options: OnnxruntimeNodeOptions = {}): TensorRuntime {
  let ort: Promise<OrtModuleLike> | undefined;
  let cuda: Promise<boolean> | undefined;
  const setUp = async () => {
    const module = await loadOnnxruntimeNode(options.load);
    const env = (module as { env?: { logLevel?: string } }).env;
    if (env) env.logLevel = options.logLevel ?? "fatal";
    return module;
  };
  return {
    name: ONNXRUNTIME_NODE,
    async createSession(model, sessionOptions: SessionOptions = {}) {
      ort ??= setUp();
      const module = await ort;
      const requested = sessionOptions.providers ?? ["cpu"];
      let effective = sessionOptions;
      const skipped: string[] = [];
      if (requested.includes("cuda") && requested.length > 1) {
        cuda ??= (options.hasCudaProvider ?? onnxruntimeNodeHasCudaProvider)();
        if (!(await cuda)) {
          effective = { ...sessionOptions, providers: requested.filter((name) => name !== "cuda") };
          skipped.push(
            `cuda: the installed onnxruntime-node has no CUDA provider library (its install script did not fetch it); ${CUDA_INSTALL_HINT}`,
          );
        }
      }
      const created = await createOrtSession(module, model, effective, ["cpu"]);
      return wrapOrtSession(module, { ...created, fallbacks: [...skipped, ...created.fallbacks] });
    },
  };
}
