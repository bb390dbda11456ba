import ortMjsUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url";
import ortWasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url";
import {
  createOnnxruntimeWebRuntime,
  type ExecutionInfo,
  type SessionOptions,
  type TensorRuntime,
} from "tokenscope";
import type { RuntimePlan } from "./choose-device.ts";

/** A runtime ready to load a model with, and how it will run. */
export interface PlannedRuntime {
  runtime: TensorRuntime;
  sessionOptions: SessionOptions;
  execution: ExecutionInfo;
  /** The providers the sessions created so far really run on, and why any request fell back. */
  observed(): { providers: string[]; fallbacks: string[] };
}

/**
 * onnxruntime-web with its .mjs/.wasm served by the app itself (Vite `?url` assets, never a CDN).
 * onnxruntime-web's settings are global: the first load's thread count stays for the page's life.
 */
export function createPlannedRuntime(plan: RuntimePlan): PlannedRuntime {
  const web = createOnnxruntimeWebRuntime({
    wasmPaths: { mjs: new URL(ortMjsUrl, import.meta.url), wasm: new URL(ortWasmUrl, import.meta.url) },
    numThreads: plan.numThreads,
  });
  const providers = new Set<string>();
  const fallbacks = new Set<string>();
  // Sessions are created lazily (per graph variant): record what each one got.
  const runtime: TensorRuntime = {
    ...web,
    async createSession(model, options) {
      const session = await web.createSession(model, options);
      if (session.providers[0]) providers.add(session.providers[0]);
      for (const fallback of session.fallbacks) fallbacks.add(fallback);
      return session;
    },
  };
  return {
    observed: () => ({ providers: [...providers], fallbacks: [...fallbacks] }),
    runtime,
    sessionOptions: { providers: plan.device === "webgpu" ? ["webgpu", "wasm"] : ["wasm"] },
    execution: { runtime: runtime.name, device: plan.device, threads: plan.numThreads, notes: plan.notes },
  };
}
