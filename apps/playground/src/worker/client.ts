import type { PageMessage, WorkerMessage } from "./protocol.ts";

/** The page's side of the model worker. */
export interface WorkerClient {
  send(message: PageMessage): void;
  /** A fresh id for a load or attribute request. */
  nextRequestId(): number;
  terminate(): void;
}

/** Starts the model worker (`src/worker.ts`, an ES module worker) and sends it the plugin URLs. */
export function startWorker(
  plugins: readonly string[],
  onMessage: (message: WorkerMessage) => void,
): WorkerClient {
  const worker = new Worker(new URL("../worker.ts", import.meta.url), {
    type: "module",
    name: "tokenscope-model",
  });
  let requestId = 0;
  worker.addEventListener("message", (event: MessageEvent<WorkerMessage>) => onMessage(event.data));
  worker.addEventListener("error", (event) =>
    onMessage({
      type: "error",
      code: "WORKER_FAILED",
      message: event.message || "The model worker failed to start.",
    }),
  );
  const client: WorkerClient = {
    // Files cross by structured clone (a File is a handle, not its bytes).
    send: (message) => worker.postMessage(message),
    nextRequestId: () => ++requestId,
    terminate: () => worker.terminate(),
  };
  client.send({ type: "init", plugins: [...plugins] });
  return client;
}

/** The `?plugin=<url>` values of the page's address (repeatable), resolved against it. */
export function pluginUrls(pageUrl: string): string[] {
  const url = new URL(pageUrl);
  return url.searchParams.getAll("plugin").map((plugin) => new URL(plugin, url).href);
}
