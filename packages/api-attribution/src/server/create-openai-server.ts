import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { assertCapabilities, type LanguageModel, TokenscopeError } from "@tokenscope/core";
import { createChatCompletion } from "./chat-completions.ts";
import { createCompletion, type HandlerContext } from "./completions.ts";
import { DEFAULT_MAX_BODY_BYTES, readJsonObject, sendJson } from "./http-io.ts";
import { OpenAiError, toOpenAiError } from "./openai-error.ts";
import type { RequestBody } from "./parameters.ts";
import { createSerialQueue } from "./serial-queue.ts";

/** Options of {@link createOpenAiServer}. */
export interface OpenAiServerOptions {
  /** The model name clients send and `/v1/models` lists; default: the last segment of `model.info.id`. */
  modelName?: string;
  /** Address to bind; default 127.0.0.1 (this machine only). */
  host?: string;
  /** Port; default 0 (any free port: read it from `url`). */
  port?: number;
  /** Most new tokens one request may ask for; default the model's context length. */
  maxTokensLimit?: number;
  /** Largest request body in bytes (413 above it); default 1 MiB. */
  maxBodyBytes?: number;
  /** Closes the server when it aborts (Ctrl-C in the CLI). */
  signal?: AbortSignal;
  /** Called once per answered request: method, path, status and milliseconds (the CLI logs it). */
  onRequest?: (entry: RequestLogEntry) => void;
}

/** One answered request, for {@link OpenAiServerOptions.onRequest}. */
export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  durationMs: number;
}

/** A running server. */
export interface OpenAiServer {
  /** The base URL clients use, ending in `/v1` (e.g. `http://127.0.0.1:8080/v1`). */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The model name the server answers to. */
  readonly modelName: string;
  /**
   * Stops the server: the running request is cancelled (its client gets a 503 or a closed
   * connection), queued ones are refused, connections close. Resolves once the port is free.
   */
  close(): Promise<void>;
}

/**
 * Serves `model` as an OpenAI-compatible HTTP API: `GET /v1/models`, `POST /v1/completions` and
 * `POST /v1/chat/completions`, with real log-probabilities read from `model.forward` (see
 * `complete`). Requests reach the model one at a time, in arrival order. Bad input is answered
 * with OpenAI's error body (400; 404 for an unknown model or path; 413 for a body over the limit)
 * and never stops the server. The model needs the `forward` and `generate` capabilities.
 */
export async function createOpenAiServer(
  model: LanguageModel,
  options: OpenAiServerOptions = {},
): Promise<OpenAiServer> {
  assertCapabilities(model, ["forward", "generate"], "tokenscope serve");
  const modelName = options.modelName ?? defaultModelName(model.info.id);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxTokensLimit = Math.max(
    0,
    Math.min(options.maxTokensLimit ?? model.info.contextLength, model.info.contextLength),
  );
  const host = options.host ?? "127.0.0.1";
  const stopping = new AbortController();
  const enqueue = createSerialQueue();
  const fingerprint = `tokenscope-${model.info.id.split(/[\\/]/).pop() ?? "model"}`.slice(0, 64);
  const created = Math.floor(Date.now() / 1000);

  const handlers: Record<string, (body: RequestBody, context: HandlerContext) => Promise<unknown>> = {
    "/v1/completions": createCompletion,
    "/v1/chat/completions": createChatCompletion,
  };

  async function answer(request: IncomingMessage, response: ServerResponse, path: string): Promise<number> {
    const method = request.method ?? "GET";
    if (path === "/v1/models" || path.startsWith("/v1/models/")) {
      if (method !== "GET") throw methodNotAllowed(method, path);
      const entry = { id: modelName, object: "model", created, owned_by: "tokenscope" };
      if (path === "/v1/models") {
        sendJson(response, 200, { object: "list", data: [entry] });
        return 200;
      }
      const asked = safeDecode(path.slice("/v1/models/".length));
      if (asked !== modelName) throw unknownModel(asked, modelName);
      sendJson(response, 200, entry);
      return 200;
    }
    const handler = Object.hasOwn(handlers, path) ? handlers[path] : undefined;
    if (!handler) {
      throw new OpenAiError(
        404,
        `Unknown path ${method} ${path}: tokenscope serve has /v1/models, /v1/completions and /v1/chat/completions.`,
        {
          type: "not_found_error",
          code: "unknown_url",
        },
      );
    }
    if (method !== "POST") throw methodNotAllowed(method, path);
    const body = await readJsonObject(request, maxBodyBytes);
    const asked = body["model"];
    if (asked !== undefined && asked !== null && asked !== modelName) {
      throw unknownModel(typeof asked === "string" ? asked : JSON.stringify(asked), modelName);
    }
    // One request in the model at a time; a client that hangs up, or close(), cancels its turn.
    const cancel = new AbortController();
    const onGone = () => {
      if (!response.writableFinished) cancel.abort(new Error("The client closed the connection."));
    };
    response.on("close", onGone);
    const signal = AbortSignal.any([stopping.signal, cancel.signal]);
    try {
      const result = await enqueue(async () => {
        if (signal.aborted) throw new TokenscopeError("ABORTED", "The request was cancelled before it ran.");
        return handler(body, {
          model,
          modelName,
          maxTokensLimit,
          signal,
          newId: () => randomUUID(),
          fingerprint,
        });
      });
      sendJson(response, 200, result);
      return 200;
    } finally {
      response.off("close", onGone);
    }
  }

  const server = createServer((request, response) => {
    const started = performance.now();
    const path = (request.url ?? "/").split("?")[0]!.replace(/\/+$/, "") || "/";
    answer(request, response, path)
      .catch((error: unknown) => {
        const failure = toOpenAiError(error);
        // A body left unread (413) must not be read as the next request: close the connection.
        sendJson(response, failure.status, failure.toBody(), failure.status === 413);
        if (failure.status === 413) request.resume();
        return failure.status;
      })
      .then((status) => {
        options.onRequest?.({
          method: request.method ?? "GET",
          path,
          status,
          durationMs: performance.now() - started,
        });
      })
      .catch(() => undefined);
  });
  // Clients that send garbage get a 400 from node:http; the server itself stays up.
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new TokenscopeError(
          "INVALID_INPUT",
          `Cannot listen on ${host}:${options.port ?? 0}: ${error.message}.`,
          {
            hint:
              error.code === "EADDRINUSE"
                ? "The port is taken: choose another port, or 0 for any free one."
                : "Check the host and port.",
            cause: error,
          },
        ),
      );
    };
    server.once("error", onError);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopping.abort(new TokenscopeError("ABORTED", "The server is stopping."));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Give the cancelled request a moment to answer 503, then drop whatever is left.
      const drop = setTimeout(() => server.closeAllConnections(), 100);
      // Resolve only once the model is out of the running request too: the caller may dispose it.
      await Promise.all([closed, enqueue(async () => undefined)]);
      clearTimeout(drop);
    })();
    return closing;
  };
  if (options.signal) {
    if (options.signal.aborted) await close();
    else options.signal.addEventListener("abort", () => void close(), { once: true });
  }
  return { url: `http://${shownHost}:${address.port}/v1`, port: address.port, modelName, close };
}

/** The name a model is served under by default: the last path segment of its reference. */
export function defaultModelName(modelId: string): string {
  const trimmed = modelId.replace(/[\\/]+$/, "");
  return trimmed.split(/[\\/]/).pop() || trimmed || "model";
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function unknownModel(asked: string, served: string): OpenAiError {
  return new OpenAiError(404, `The model "${asked}" does not exist: this server serves "${served}".`, {
    type: "invalid_request_error",
    param: "model",
    code: "model_not_found",
  });
}

function methodNotAllowed(method: string, path: string): OpenAiError {
  return new OpenAiError(405, `${method} is not allowed on ${path}.`, { code: "method_not_allowed" });
}
