/**
 * The runtime candidate for browsers: onnxruntime-web (WebGPU where available, else wasm).
 */
import {
  createOnnxruntimeWebRuntime,
  loadOnnxruntimeWeb,
  ONNXRUNTIME_WEB,
  type OnnxruntimeWebOptions,
} from "./onnxruntime-web.ts";
import type { RuntimeCandidate } from "./registry.ts";

/** Candidates for `selectRuntime` in a browser; options go to onnxruntime-web (wasm paths, threads). */
export function webRuntimeCandidates(options: OnnxruntimeWebOptions = {}): RuntimeCandidate[] {
  return [
    {
      name: ONNXRUNTIME_WEB,
      priority: 50,
      async load() {
        await loadOnnxruntimeWeb(options);
        return createOnnxruntimeWebRuntime(options);
      },
    },
  ];
}
