/**
 * onnxruntime-web set up for Node: .wasm files from the installed package's dist folder, one thread
 * (worker threads from the wasm build are not worth their start-up in tests and CLIs). Node-only.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { createOnnxruntimeWebRuntime, type OnnxruntimeWebOptions } from "./onnxruntime-web.ts";
import type { TensorRuntime } from "./types.ts";

/** The file URL (with trailing slash) of onnxruntime-web's dist folder, as installed beside this package. */
export function onnxruntimeWebDistUrl(): string {
  const require = createRequire(import.meta.url);
  // The package's exports list its .wasm files, so resolving one finds dist/ without reading package.json.
  const wasmFile = require.resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm");
  return pathToFileURL(join(dirname(wasmFile), "/")).href;
}

/** onnxruntime-web for Node: wasm paths pointed at the installed dist folder, `numThreads` 1. */
export function createOnnxruntimeWebNodeRuntime(options: OnnxruntimeWebOptions = {}): TensorRuntime {
  return createOnnxruntimeWebRuntime({ wasmPaths: onnxruntimeWebDistUrl(), numThreads: 1, ...options });
}
