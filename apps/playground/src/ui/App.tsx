import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { type AttributionResult, parseResult } from "tokenscope";
import { availableMethods } from "../methods/available-methods.ts";
import type { ModelSourceSpec } from "../model/source-spec.ts";
import { ResultPanel } from "../results/ResultPanel.tsx";
import type { DeviceChoice } from "../runtime/choose-device.ts";
import { pluginUrls, startWorker, type WorkerClient } from "../worker/client.ts";
import type { MethodDescriptor, RunInfo, StepFunctionDescriptor, WorkerMessage } from "../worker/protocol.ts";
import { MethodPanel } from "./MethodPanel.tsx";
import { type DownloadState, type LoadSummary, ModelPanel } from "./ModelPanel.tsx";

/**
 * How long a cancelled run may take to stop by itself (the signal is seen between model calls)
 * before the worker is stopped outright and started again with the same model: one call of a
 * large batch can take seconds, and Cancel must answer within 2 s.
 */
const HARD_STOP_MS = 400;

/** What the status line says. */
type Status =
  | { kind: "starting" | "idle" | "loading" | "cancelling" }
  | { kind: "running"; progress?: string }
  | { kind: "done" | "cancelled" | "loaded" }
  | { kind: "error"; message: string };

function statusText(status: Status): string {
  switch (status.kind) {
    case "starting":
      return "Starting the model worker…";
    case "idle":
      return "Pick a model and load it.";
    case "loading":
      return "Loading the model…";
    case "loaded":
      return "Model loaded.";
    case "running":
      return `Running${status.progress ? `: ${status.progress}` : "…"}`;
    case "cancelling":
      return "Cancelling…";
    case "cancelled":
      return "Cancelled.";
    case "done":
      return "Done.";
    case "error":
      return `Error: ${status.message}`;
  }
}

/** The playground: model, method and result panels over one model worker. */
export function App() {
  const worker = useRef<WorkerClient | undefined>(undefined);
  const restart = useRef<() => void>(() => {});
  const reloading = useRef(false);
  const activeRun = useRef<number | undefined>(undefined);
  const lastLoad = useRef<{ source: ModelSourceSpec; device: DeviceChoice } | undefined>(undefined);
  const hardStop = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const [status, setStatus] = useState<Status>({ kind: "starting" });
  const [methods, setMethods] = useState<MethodDescriptor[]>([]);
  const [stepFunctions, setStepFunctions] = useState<StepFunctionDescriptor[]>([]);
  const [capabilities, setCapabilities] = useState<string[]>();
  const [modelId, setModelId] = useState<string>();
  const [download, setDownload] = useState<DownloadState>();
  const [summary, setSummary] = useState<LoadSummary>();
  const [result, setResult] = useState<AttributionResult>();
  const [runInfo, setRunInfo] = useState<RunInfo>();

  useEffect(() => {
    const onMessage = (message: WorkerMessage) => {
      switch (message.type) {
        case "ready":
          setMethods(message.methods);
          setStepFunctions(message.stepFunctions);
          setStatus(
            message.pluginErrors.length > 0
              ? { kind: "error", message: message.pluginErrors.join("; ") }
              : { kind: "idle" },
          );
          return;
        case "download":
          setDownload({ file: message.file, loaded: message.loaded, total: message.total });
          if (message.state === "done") {
            const fetched = message.downloaded === true;
            setSummary((last) => ({
              downloaded: (last?.downloaded ?? 0) + (fetched ? 1 : 0),
              downloadedBytes: (last?.downloadedBytes ?? 0) + (fetched ? message.loaded : 0),
              cached: (last?.cached ?? 0) + (fetched ? 0 : 1),
            }));
          }
          return;
        case "loaded":
          setDownload(undefined);
          setModelId(message.modelId);
          setCapabilities(message.capabilities);
          // After a hard stop the model comes back quietly: the status still says "Cancelled.".
          if (reloading.current) reloading.current = false;
          else setStatus({ kind: "loaded" });
          return;
        case "progress":
          if (message.requestId === activeRun.current) {
            const { phase, completed, total } = message.event;
            setStatus({ kind: "running", progress: `${phase} ${completed}/${total}` });
          }
          return;
        case "result":
          if (message.requestId !== activeRun.current) return;
          activeRun.current = undefined;
          setResult(parseResult(new Uint8Array(message.resultJson)));
          setRunInfo(message.runInfo);
          setStatus({ kind: "done" });
          return;
        case "cancelled":
          clearTimeout(hardStop.current);
          if (message.requestId === activeRun.current) activeRun.current = undefined;
          setStatus({ kind: "cancelled" });
          return;
        case "error":
          if (message.requestId === activeRun.current) activeRun.current = undefined;
          setDownload(undefined);
          setStatus({
            kind: "error",
            message: message.hint ? `${message.message} ${message.hint}` : message.message,
          });
          return;
      }
    };
    const spawn = () => {
      worker.current = startWorker(pluginUrls(location.href), onMessage);
    };
    restart.current = () => {
      worker.current?.terminate();
      activeRun.current = undefined;
      spawn();
      // The new worker has no model: load the last one again (from the browser's cache when it can).
      const load = lastLoad.current;
      if (load && worker.current) {
        reloading.current = true;
        worker.current.send({ type: "load", requestId: worker.current.nextRequestId(), ...load });
      }
    };
    spawn();
    return () => {
      clearTimeout(hardStop.current);
      worker.current?.terminate();
    };
  }, []);

  const shown = useMemo(() => availableMethods(methods, capabilities), [methods, capabilities]);
  const running = status.kind === "running" || status.kind === "cancelling";
  return (
    <main>
      <header>
        <h1>tokenscope playground</h1>
        <p class="help">
          Which prompt tokens drove each generated token — computed in your browser, nothing installed.
        </p>
      </header>
      <ModelPanel
        busy={status.kind === "loading" || running}
        download={download}
        summary={summary}
        modelId={modelId}
        onLoad={(source, device) => {
          setStatus({ kind: "loading" });
          setSummary(undefined);
          lastLoad.current = { source, device };
          const client = worker.current;
          client?.send({ type: "load", requestId: client.nextRequestId(), source, device });
        }}
      />
      <MethodPanel
        methods={shown}
        stepFunctions={stepFunctions}
        canRun={modelId !== undefined && status.kind !== "loading"}
        running={running}
        onAttribute={(request) => {
          const client = worker.current;
          if (!client) return;
          const requestId = client.nextRequestId();
          activeRun.current = requestId;
          setStatus({ kind: "running" });
          client.send({ type: "attribute", requestId, request });
        }}
        onCancel={() => {
          if (activeRun.current === undefined) return;
          setStatus({ kind: "cancelling" });
          worker.current?.send({ type: "cancel", requestId: activeRun.current });
          hardStop.current = setTimeout(() => {
            if (activeRun.current === undefined) return;
            restart.current();
            setStatus({ kind: "cancelled" });
          }, HARD_STOP_MS);
        }}
      />
      <p role="status" class={`status status-${status.kind}`} data-status={status.kind}>
        {statusText(status)}
      </p>
      <ResultPanel
        result={result}
        runInfo={runInfo}
        onLoaded={(loaded) => {
          setResult(loaded);
          setRunInfo(undefined);
        }}
        onError={(message) => setStatus({ kind: "error", message })}
      />
    </main>
  );
}
