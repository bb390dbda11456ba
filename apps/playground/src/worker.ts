/**
 * The model's thread: loads models, runs `attribute()` and answers the page with progress events,
 * serialized results and typed errors. The page never runs the model itself, so it never freezes.
 */
import { type LanguageModel, registerBuiltins } from "tokenscope";
import { loadFromSpec } from "./model/loader.ts";
import { planRuntime } from "./runtime/choose-device.ts";
import { createPlannedRuntime } from "./runtime/create-runtime.ts";
import { runAttribution } from "./worker/attribute.ts";
import { describeMethods, describeStepFunctions } from "./worker/catalog.ts";
import { errorMessage } from "./worker/errors.ts";
import { loadPlugins } from "./worker/plugins.ts";
import type { PageMessage, RunInfo, WorkerMessage } from "./worker/protocol.ts";

const scope = self as unknown as {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent<PageMessage>) => void): void;
};
const post = (message: WorkerMessage, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

let model: LanguageModel | undefined;
let modelExecution: RunInfo | undefined;
let observe: (() => { providers: string[]; fallbacks: string[] }) | undefined;

/** The run info with the device the sessions really got (a WebGPU request may fall back to wasm). */
function observedRunInfo(info: RunInfo, elapsedMs: number): RunInfo {
  const seen = observe?.();
  if (!seen || seen.providers.length === 0) return { ...info, elapsedMs };
  return {
    ...info,
    device: seen.providers.join(" + "),
    notes: [...info.notes, ...seen.fallbacks],
    elapsedMs,
  };
}
const running = new Map<number, AbortController>();

async function handle(message: PageMessage): Promise<void> {
  switch (message.type) {
    case "init": {
      registerBuiltins();
      const pluginErrors = await loadPlugins(message.plugins);
      post({
        type: "ready",
        methods: describeMethods(),
        stepFunctions: describeStepFunctions(),
        pluginErrors,
      });
      return;
    }
    case "load": {
      const plan = planRuntime(message.device, {
        crossOriginIsolated: self.crossOriginIsolated === true,
        hardwareConcurrency: navigator.hardwareConcurrency || 1,
        hasWebGpu: "gpu" in navigator && navigator.gpu !== undefined,
      });
      const planned = createPlannedRuntime(plan);
      observe = planned.observed;
      const started = performance.now();
      await model?.dispose?.();
      model = undefined;
      const { runtime, sessionOptions, execution: plannedExecution } = planned;
      model = await loadFromSpec(message.source, {
        runtime,
        sessionOptions,
        execution: plannedExecution,
        onDownloadProgress: ({ path, receivedBytes, totalBytes, state, downloaded }) =>
          post({
            type: "download",
            requestId: message.requestId,
            file: path,
            loaded: receivedBytes,
            total: totalBytes ?? 0,
            state,
            ...(downloaded !== undefined ? { downloaded } : {}),
          }),
      });
      const execution = model.info.execution ?? plannedExecution;
      modelExecution = {
        runtime: execution.runtime,
        device: execution.device,
        ...(execution.threads !== undefined ? { threads: execution.threads } : {}),
        crossOriginIsolated: plan.crossOriginIsolated,
        notes: execution.notes,
        elapsedMs: performance.now() - started,
      };
      post({
        type: "loaded",
        requestId: message.requestId,
        modelId: model.info.id,
        capabilities: [...model.capabilities],
        execution: modelExecution,
      });
      return;
    }
    case "attribute": {
      if (!model || !modelExecution) throw new Error("Load a model first.");
      const controller = new AbortController();
      running.set(message.requestId, controller);
      try {
        const outcome = await runAttribution(model, message.request, {
          signal: controller.signal,
          onProgress: (event) => post({ type: "progress", requestId: message.requestId, event }),
        });
        if (outcome.kind === "cancelled") {
          post({ type: "cancelled", requestId: message.requestId });
          return;
        }
        const runInfo = observedRunInfo(modelExecution, outcome.elapsedMs);
        post({ type: "result", requestId: message.requestId, resultJson: outcome.resultJson, runInfo }, [
          outcome.resultJson,
        ]);
      } finally {
        running.delete(message.requestId);
      }
      return;
    }
    case "cancel":
      running.get(message.requestId)?.abort();
      return;
  }
}

scope.addEventListener("message", (event) => {
  const message = event.data;
  handle(message).catch((error: unknown) => {
    post({
      type: "error",
      ...("requestId" in message ? { requestId: message.requestId } : {}),
      ...errorMessage(error),
    });
  });
});
