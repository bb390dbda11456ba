/**
 * Choosing where a model runs in Node, once per load: the runtime (native onnxruntime-node, else
 * onnxruntime-web's WebAssembly build when onnxruntime-node is not installed) and the device (a CUDA
 * request is probed, and answered on the CPU with the reason when it cannot be had). What was chosen
 * and why goes into the model's `info.execution`, and from there into every result.
 */
import type { ExecutionInfo } from "@tokenscope/core";
import {
  createOnnxruntimeNodeRuntime,
  createOnnxruntimeWebNodeRuntime,
  isTensorBackendError,
  loadOnnxruntimeNode,
  ONNXRUNTIME_NODE,
  ONNXRUNTIME_WEB,
  probeProviders,
  type SessionOptions,
  type TensorRuntime,
} from "@tokenscope/tensor-backends/node";

/** Devices a Node load may ask for. */
export type NodeDevice = "cpu" | "cuda";

/** What a load asks for. */
export interface ExecutionRequest {
  /** A runtime chosen by the caller (used as it is); default: onnxruntime-node, else onnxruntime-web. */
  runtime?: TensorRuntime;
  device?: NodeDevice;
  threads?: number;
  sessionOptions?: SessionOptions;
  /** Loads onnxruntime-node (default `import("onnxruntime-node")`); tests stand in a missing package. */
  loadNative?: () => Promise<unknown>;
}

/** The runtime, the session options every session of the model uses, and what to tell the user. */
export interface ChosenExecution {
  runtime: TensorRuntime;
  sessionOptions: SessionOptions;
  execution: ExecutionInfo;
}

/** How to get native kernels when onnxruntime-node is missing (the CPU binaries are in its npm package). */
export const NATIVE_RUNTIME_HINT =
  "for native CPU kernels install onnxruntime-node: `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0` (skip: its install script would otherwise download CUDA files from NuGet)";

async function chooseRuntime(
  notes: string[],
  loadNative: (() => Promise<unknown>) | undefined,
): Promise<TensorRuntime> {
  try {
    await loadOnnxruntimeNode(loadNative);
    return createOnnxruntimeNodeRuntime(loadNative ? { load: loadNative } : {});
  } catch (error) {
    if (!isTensorBackendError(error, "RUNTIME_UNAVAILABLE")) throw error;
    notes.push(
      `onnxruntime-node is not installed, so tokenscope runs on onnxruntime-web (WebAssembly, one thread; several times slower); ${NATIVE_RUNTIME_HINT}`,
    );
    return createOnnxruntimeWebNodeRuntime();
  }
}

/** The device name of the first provider a session runs on. */
function deviceOf(provider: string | undefined): string {
  return provider ?? "cpu";
}

/**
 * Picks the runtime and probes the requested device. A CUDA request on a runtime or binary without
 * CUDA is not an error: the model runs on the CPU and `execution.notes` says why (one line), and its
 * sessions ask for the CPU only, so the failed provider is not retried for each graph.
 */
export async function chooseNodeExecution(request: ExecutionRequest): Promise<ChosenExecution> {
  const notes: string[] = [];
  const runtime = request.runtime ?? (await chooseRuntime(notes, request.loadNative));
  const native = runtime.name === ONNXRUNTIME_NODE;
  const base: SessionOptions = {
    ...(request.threads ? { intraOpThreads: request.threads } : {}),
    ...request.sessionOptions,
  };
  const requested = request.device ?? "cpu";
  let providers: string[] | undefined = base.providers ? [...base.providers] : undefined;
  if (requested === "cuda") {
    if (native) {
      const probe = await probeProviders(runtime, { ...base, providers: ["cuda", "cpu"] });
      providers = [...probe.providers];
      notes.push(
        ...probe.fallbacks.map(
          (line) => `CUDA was requested but cannot be used: ${line.replace(/^cuda: /, "")}`,
        ),
      );
    } else {
      notes.push(`CUDA was requested but ${runtime.name} has no CUDA provider`);
    }
  }
  const sessionOptions: SessionOptions = { ...base, ...(providers ? { providers } : {}) };
  const device = providers
    ? deviceOf(providers[0])
    : native
      ? "cpu"
      : runtime.name === ONNXRUNTIME_WEB
        ? "wasm"
        : "unknown";
  const execution: ExecutionInfo = {
    runtime: runtime.name,
    device,
    // Only a request that was not met is worth saying: "cpu" on WebAssembly is still the CPU.
    ...(requested === "cuda" && device !== "cuda" ? { requestedDevice: requested } : {}),
    ...(request.threads ? { threads: request.threads } : {}),
    notes,
  };
  return { runtime, sessionOptions, execution };
}
