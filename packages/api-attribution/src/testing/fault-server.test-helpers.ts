import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type FakeToken, fakeGenerate, fakeScore, fakeTokenize } from "./fake-model.test-helpers.ts";

/**
 * What the fault server does to one request instead of (or before) answering it:
 * - `status`: answer that HTTP status with an OpenAI-style error body (`message`), optionally with
 *   `Retry-After: retryAfter` and more headers;
 * - `hang`: send nothing (the client's timeout must fire); with `ms`, answer normally after that;
 * - `malformed-json`: HTTP 200 with a JSON content type and the body cut in half;
 * - `reset`: HTTP 200 headers and half the body, then the socket is destroyed;
 * - `delay`: answer normally after `ms` milliseconds (to hold requests in flight).
 */
export type Fault =
  | {
      kind: "status";
      status: number;
      message?: string;
      retryAfter?: string;
      headers?: Record<string, string>;
    }
  | { kind: "hang"; ms?: number }
  | { kind: "malformed-json" }
  | { kind: "reset" }
  | { kind: "delay"; ms: number };

/** One request the server received, in order of arrival. */
export interface ReceivedRequest {
  /** 0 for the first request the server saw (since start or `reset()`). */
  index: number;
  method: string;
  /** The path, e.g. "/v1/chat/completions". */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  body: Record<string, unknown> | undefined;
  /** The prompt: completions' `prompt`, or chat's last user message. */
  prompt: string | undefined;
  /** How many earlier requests to the same path carried the same prompt (0 the first time). */
  attemptForPrompt: number;
  /** The fault applied to it, if any. */
  fault: Fault | undefined;
}

/** Chooses a request's fault (or none); called once per request, in order of arrival. */
export type FaultScript = (request: ReceivedRequest) => Fault | undefined;

/** Options of {@link startFaultServer}. */
export interface FaultServerOptions {
  /** Which requests get which faults (default none). */
  faults?: FaultScript;
  /**
   * Log-probabilities: "yes" (default); "omit": answers carry `logprobs: null`; "reject": a request
   * asking for them gets HTTP 400 "logprobs not supported".
   */
  logprobs?: "yes" | "omit" | "reject";
  /** Most alternatives per position; a request asking for more gets HTTP 400 (default 20). */
  maxTopLogprobs?: number;
  /** Whether completions' `echo` works (default true); false: HTTP 400 "echo not supported". */
  echo?: boolean;
  /** The seed: "yes" (default, deterministic); "reject": HTTP 400 on `seed`; "ignore": every answer differs. */
  seed?: "yes" | "reject" | "ignore";
  /** When set, requests without `Authorization: Bearer <apiKey>` get HTTP 401. */
  apiKey?: string;
  /** Error bodies repeat the Authorization header they received (as careless servers do). */
  leakAuthorization?: boolean;
}

/** A running fault server. */
export interface FaultServer {
  /** "http://127.0.0.1:<port>/v1". */
  readonly baseUrl: string;
  /** Every request received, in order. */
  readonly requests: readonly ReceivedRequest[];
  /** Requests being handled now. */
  readonly inFlight: number;
  /** The most requests ever handled at once (since start or `reset()`). */
  readonly maxInFlight: number;
  /** Replaces the fault script. */
  setFaults(script: FaultScript | undefined): void;
  /** Forgets the requests received and the in-flight maximum (the index starts at 0 again). */
  reset(): void;
  /** Completion requests received (chat and completions), leaving out others such as /v1/models. */
  completionRequests(): ReceivedRequest[];
  /** Stops: open connections are destroyed, pending timers cleared. */
  close(): Promise<void>;
}

/** A script that gives request number `index` (0-based, in order of arrival) the fault `faults[index]`. */
export function faultsByIndex(faults: Record<number, Fault>): FaultScript {
  return (request) => faults[request.index];
}

/** A script that gives the n-th request (0-based) carrying a prompt the fault `faults[prompt][n]`. */
export function faultsByPrompt(faults: Record<string, readonly Fault[]>): FaultScript {
  return (request) =>
    request.prompt === undefined ? undefined : faults[request.prompt]?.[request.attemptForPrompt];
}

/** A script that applies `fault` to every request (e.g. a persistent 500). */
export function faultAlways(fault: Fault): FaultScript {
  return () => fault;
}

function promptOf(path: string, body: Record<string, unknown> | undefined): string | undefined {
  if (!body) return undefined;
  if (path.endsWith("/completions") && !path.endsWith("/chat/completions")) {
    return typeof body.prompt === "string" ? body.prompt : undefined;
  }
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index] as { role?: unknown; content?: unknown };
    if (message?.role === "user" && typeof message.content === "string") return message.content;
  }
  return undefined;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/**
 * Starts an OpenAI-like HTTP server on 127.0.0.1 (a free port) over the fake model of
 * `fake-model.test-helpers.ts`: `GET /v1/models`, `POST /v1/chat/completions` (`logprobs`,
 * `top_logprobs`) and `POST /v1/completions` (`logprobs` as a number, `echo` with `text_offset`),
 * `max_tokens`, `seed`. Faults are injected per request by `options.faults`. Every request is
 * recorded (headers and body) before its fault, so that tests can count what was sent.
 */
export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  let script = options.faults;
  let requests: ReceivedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let answered = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (ms: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };

  const sendJson = (
    response: ServerResponse,
    status: number,
    value: unknown,
    headers: Record<string, string> = {},
  ) => {
    if (response.destroyed || response.headersSent) return;
    const text = JSON.stringify(value);
    response.writeHead(status, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(text)),
      ...headers,
    });
    response.end(text);
  };

  const errorBody = (received: ReceivedRequest, status: number, message: string) => {
    const leak = options.leakAuthorization
      ? ` (you sent Authorization: ${received.headers.authorization ?? "nothing"})`
      : "";
    return {
      error: {
        message: `${message}${leak}`,
        type: status === 429 ? "rate_limit_error" : "invalid_request_error",
        code: status,
      },
    };
  };

  /** The answer to a valid request, or an error status with its message. */
  const answer = (received: ReceivedRequest): { status: number; value: unknown } => {
    const body = received.body ?? {};
    const fail = (status: number, message: string) => ({
      status,
      value: errorBody(received, status, message),
    });
    if (options.apiKey !== undefined && received.headers.authorization !== `Bearer ${options.apiKey}`) {
      return fail(401, "Incorrect API key provided.");
    }
    const chat = received.path.endsWith("/chat/completions");
    const prompt = received.prompt;
    if (prompt === undefined)
      return fail(400, chat ? "messages must hold a user message" : "prompt must be a string");
    const maxTokens = typeof body.max_tokens === "number" ? body.max_tokens : 16;
    const echo = !chat && body.echo === true;
    const wantsLogprobs = chat ? body.logprobs === true : typeof body.logprobs === "number";
    const top = chat
      ? typeof body.top_logprobs === "number"
        ? body.top_logprobs
        : 0
      : wantsLogprobs
        ? (body.logprobs as number)
        : 0;
    if (wantsLogprobs && options.logprobs === "reject") return fail(400, "logprobs not supported");
    if (top > (options.maxTopLogprobs ?? 20)) {
      return fail(
        400,
        `${chat ? "top_logprobs" : "logprobs"} must be at most ${options.maxTopLogprobs ?? 20}`,
      );
    }
    if (echo && options.echo === false) return fail(400, "echo not supported");
    if (body.seed !== undefined && options.seed === "reject")
      return fail(400, "seed is not a supported parameter");
    const noise = options.seed === "ignore" ? `${answered}\u0003` : "";
    answered++;
    const generated = fakeGenerate(prompt, maxTokens, top, noise);
    const text = generated.map((token) => token.token).join("");
    const withLogprobs = wantsLogprobs && options.logprobs !== "omit";
    const usage = {
      prompt_tokens: fakeTokenize(prompt).length,
      completion_tokens: generated.length,
      total_tokens: fakeTokenize(prompt).length + generated.length,
    };
    const common = {
      id: `fake-${received.index}`,
      created: 0,
      model: typeof body.model === "string" ? body.model : "fake",
    };
    if (chat) {
      return {
        status: 200,
        value: {
          ...common,
          object: "chat.completion",
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: text },
              logprobs: withLogprobs
                ? {
                    content: generated.map((token) => ({
                      token: token.token,
                      logprob: token.logprob,
                      bytes: [...Buffer.from(token.token)],
                      top_logprobs: token.top,
                    })),
                  }
                : null,
              finish_reason: "length",
            },
          ],
          usage,
        },
      };
    }
    const scored: FakeToken[] = echo ? fakeScore(prompt, top) : [];
    const all = [
      ...scored,
      // OpenAI counts offsets from the prompt's start, echoed or not.
      ...generated.map((token) => ({ ...token, offset: token.offset + prompt.length })),
    ];
    return {
      status: 200,
      value: {
        ...common,
        object: "text_completion",
        choices: [
          {
            index: 0,
            text: echo ? prompt + text : text,
            logprobs: withLogprobs
              ? {
                  tokens: all.map((token) => token.token),
                  token_logprobs: all.map((token) => token.logprob),
                  top_logprobs: all.map((token, index) =>
                    echo && index === 0
                      ? null
                      : Object.fromEntries(token.top.map((entry) => [entry.token, entry.logprob])),
                  ),
                  text_offset: all.map((token) => token.offset),
                }
              : null,
            finish_reason: "length",
          },
        ],
        usage,
      },
    };
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    response.on("close", () => inFlight--);
    const raw = await readBody(request).catch(() => "");
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = raw === "" ? undefined : JSON.parse(raw);
      body = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    const prompt = promptOf(path, body);
    const received: ReceivedRequest = {
      index: requests.length,
      method: request.method ?? "GET",
      path,
      headers,
      body,
      prompt,
      attemptForPrompt: requests.filter(
        (earlier) => earlier.path === path && prompt !== undefined && earlier.prompt === prompt,
      ).length,
      fault: undefined,
    };
    requests.push(received);

    if (request.method === "GET" && path === "/v1/models") {
      sendJson(response, 200, {
        object: "list",
        data: [{ id: "fake", object: "model", created: 0, owned_by: "tokenscope" }],
      });
      return;
    }
    if (request.method !== "POST" || !(path === "/v1/chat/completions" || path === "/v1/completions")) {
      sendJson(response, 404, errorBody(received, 404, `no route ${request.method} ${path}`));
      return;
    }
    const fault = script?.(received);
    received.fault = fault;
    const respond = () => {
      const { status, value } = answer(received);
      sendJson(response, status, value);
    };
    if (!fault) return respond();
    switch (fault.kind) {
      case "status":
        sendJson(
          response,
          fault.status,
          errorBody(received, fault.status, fault.message ?? `fault ${fault.status}`),
          {
            ...(fault.retryAfter !== undefined ? { "retry-after": fault.retryAfter } : {}),
            ...fault.headers,
          },
        );
        return;
      case "hang":
        if (fault.ms !== undefined) later(fault.ms, respond);
        return;
      case "delay":
        later(fault.ms, respond);
        return;
      case "malformed-json": {
        const text = JSON.stringify(answer(received).value);
        const cut = text.slice(0, Math.floor(text.length / 2));
        response.writeHead(200, {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(cut)),
        });
        response.end(cut);
        return;
      }
      case "reset": {
        const text = JSON.stringify(answer(received).value);
        response.writeHead(200, {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(text)),
        });
        response.write(text.slice(0, Math.floor(text.length / 2)), () => {
          setImmediate(() => request.socket.destroy());
        });
        return;
      }
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { message: String(error) } });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return requests;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    setFaults(next) {
      script = next;
    },
    reset() {
      requests = [];
      maxInFlight = inFlight;
    },
    completionRequests() {
      return requests.filter((request) => request.path.endsWith("/completions"));
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
