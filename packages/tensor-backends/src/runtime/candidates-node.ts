/**
 * The runtime candidates for Node: native onnxruntime-node first, onnxruntime-web (wasm) as fallback.
 */
import { createOnnxruntimeNodeRuntime, loadOnnxruntimeNode, ONNXRUNTIME_NODE } from "./onnxruntime-node.ts";
import { loadOnnxruntimeWeb, ONNXRUNTIME_WEB } from "./onnxruntime-web.ts";
import { createOnnxruntimeWebNodeRuntime, onnxruntimeWebDistUrl } from "./onnxruntime-web-node.ts";
import type { RuntimeCandidate } from "./registry.ts";

/** Candidates for `selectRuntime` in Node. */
export function nodeRuntimeCandidates(): RuntimeCandidate[] {
  return [
    {
      name: ONNXRUNTIME_NODE,
      priority: 100,
      async load() {
        await loadOnnxruntimeNode();
        return createOnnxruntimeNodeRuntime();
      },
    },
    {
      name: ONNXRUNTIME_WEB,
      priority: 50,
      async load() {
        await loadOnnxruntimeWeb({ wasmPaths: onnxruntimeWebDistUrl(), numThreads: 1 });
        return createOnnxruntimeWebNodeRuntime();
      },
    },
  ];
}
