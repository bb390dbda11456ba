import { isTokenscopeError, TokenscopeError, throwIfAborted } from "@tokenscope/core";
import OpenAI from "openai";
import { cacheKey } from "../cache/cache-key.ts";
import type { ResponseCache } from "../cache/response-cache.ts";
import { abortableSleep, abortedError, requestSignal } from "../transport/abort.ts";
import type { BackoffOptions } from "../transport/backoff.ts";
import { type BudgetLimits, createBudget, estimateRequestTokens } from "../transport/budget.ts";
import { classifyFailure, type FailureKind } from "../transport/classify.ts";
import { createConcurrencyLimiter, defaultConcurrency } from "../transport/concurrency.ts";
import { type FetchFunction, withOpenAIErrorBodies } from "../transport/error-body-fetch.ts";
import { failureError } from "../transport/errors.ts";
import { createRedactor, stripCredentials } from "../transport/redact.ts";
import { withRetries } from "../transport/retry.ts";
import { probeCapabilities, type ResolvedRequest } from "./capabilities.ts";
import { fromChatResponse, fromCompletionsResponse } from "./convert.ts";
import type {
  CallOptions,
  Completion,
  CompletionRequest,
  Endpoint,
  EndpointCapabilities,
  EndpointConfig,
  EndpointStats,
} from "./types.ts";

/** Default per-request timeout, in milliseconds. */
export const defaultTimeoutMs = 60_000;
/** The seed every request carries unless told otherwise. */
export const defaultSeed = 0;
/** Alternatives per position asked for when a request does not say. */
export const defaultTopLogprobs = 20;

/** How an endpoint sends its requests. Every option has a default fit for a hosted API. */
export interface EndpointOptions {
  /**
   * The API key itself, for where there is no environment (browsers). Otherwise the key is read
   * from `process.env[config.apiKeyEnv ?? "OPENAI_API_KEY"]`. Without a key a placeholder is sent
   * (fine for local servers). The key goes only into the Authorization header: never into
   * messages, `info`, cache keys or cache files.
   */
  apiKey?: string;
  /** The `fetch` to use (default the global one): for proxies and tests. */
  fetch?: FetchFunction;
  /** Most requests in flight at once (default 8). */
  concurrency?: number;
  /** Per-request timeout in milliseconds (default 60 000); a timed-out request is retried. */
  timeoutMs?: number;
  /** Retries after the first attempt of a request (default 6). */
  maxRetries?: number;
  /** Backoff between retries: `baseDelayMs` (500), `maxDelayMs` (30 000), `random`. */
  backoff?: BackoffOptions;
  /** A server's Retry-After is honoured up to this many milliseconds (default 60 000). */
  maxRetryAfterMs?: number;
  /** Waits between retries (default a timer); injectable so that tests need not wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Caps on requests sent and tokens used; a request that would pass one is not sent. */
  budget?: BudgetLimits;
  /** Where answers are kept (memory, disk): a hit sends nothing. No cache by default. */
  cache?: ResponseCache;
  /** The seed sent with every request (default 0). */
  seed?: number;
  /** A request's tokens before it is sent, for the token budget (default prompt length / 4 + maxTokens). */
  estimateTokens?: (request: CompletionRequest) => number;
  /** Told of every retry (e.g. to print progress); the failure's message is redacted. */
  onRetry?: (event: EndpointRetryEvent) => void;
}

/** What {@link EndpointOptions.onRetry} is told before each retry's wait (redacted). */
export interface EndpointRetryEvent {
  /** The retry about to be made: 1 for the first. */
  retry: number;
  /** How long it waits first, in milliseconds (the server's Retry-After, or backoff). */
  delayMs: number;
  /** Why the last attempt failed. */
  reason: FailureKind;
  /** The HTTP status, when the server answered one. */
  status?: number;
  /** What went wrong, with the API key redacted. */
  message: string;
}

function readEnvironment(name: string): string | undefined {
  const environment = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = environment?.[name];
  return value === undefined || value === "" ? undefined : value;
}

function invalid(message: string, details: Record<string, unknown>): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { details });
}

function checkRequest(request: CompletionRequest): void {
  if (typeof request?.prompt !== "string") throw invalid("A request's prompt must be a string.", {});
  if (!Number.isInteger(request.maxTokens) || request.maxTokens < 0) {
    throw invalid(`maxTokens must be a whole number of at least 0, not ${request.maxTokens}.`, {
      maxTokens: request.maxTokens,
    });
  }
  if (request.maxTokens === 0 && !request.echo) {
    throw invalid("maxTokens 0 is only meaningful with echo (scoring the prompt).", { maxTokens: 0 });
  }
  const top = request.topLogprobs;
  if (top !== undefined && (!Number.isInteger(top) || top < 0 || top > 20)) {
    throw invalid(`topLogprobs must be a whole number from 0 to 20, not ${top}.`, { topLogprobs: top });
  }
}

/**
 * An {@link Endpoint} over an OpenAI or OpenAI-compatible API (vLLM, llama.cpp's server, Ollama,
 * LM Studio, `tokenscope serve`) through the `openai` client, with its own retries (the client's
 * are off). Every request has temperature 0, the seed (0 unless `seed` says), `max_tokens` from
 * the request and, where the server has them, log-probabilities (chat: `logprobs` and
 * `top_logprobs`; completions: `logprobs` as a number and `echo` when asked).
 *
 * A request is answered from `cache` when it can; otherwise it waits for one of `concurrency`
 * slots, is checked against `budget`, and is sent with a `timeoutMs` timeout. HTTP 408, 409, 429
 * and 5xx (but 501 and 505), timeouts, dropped connections and malformed bodies are retried up
 * to `maxRetries` times, after the server's Retry-After (capped at `maxRetryAfterMs`) or
 * exponential backoff with full jitter; identical requests in flight at once are sent once.
 * Once {@link Endpoint.capabilities} has run, requests leave out what the server lacks (fewer
 * alternatives, no seed, no log-probabilities).
 *
 * The API key never appears in `info`, a message, an error's cause, a cache key or a cache
 * file: every text made from a server's answer is redacted ("***").
 * @throws TokenscopeError INVALID_INPUT for a base URL that is not a URL or an option out of range.
 */
export function createEndpoint(config: EndpointConfig, options: EndpointOptions = {}): Endpoint {
  const mode = config.mode ?? "chat";
  if (mode !== "chat" && mode !== "completions") {
    throw invalid(`The mode must be "chat" or "completions", not "${String(mode)}".`, { mode });
  }
  const stripped = stripCredentials(config.baseUrl);
  try {
    new URL(stripped.url);
  } catch {
    throw invalid(`The base URL "${stripped.url}" is not a URL.`, { baseUrl: stripped.url });
  }
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  if (!(timeoutMs > 0)) throw invalid(`timeoutMs must be positive, not ${timeoutMs}.`, { timeoutMs });
  const seed = options.seed ?? defaultSeed;
  const apiKey = options.apiKey ?? readEnvironment(config.apiKeyEnv ?? "OPENAI_API_KEY");
  const basic =
    apiKey === undefined && (stripped.username !== "" || stripped.password !== "")
      ? btoa(`${stripped.username}:${stripped.password}`)
      : undefined;
  const redact = createRedactor([apiKey, stripped.password, basic]);
  const info = Object.freeze({ baseUrl: stripped.url, model: config.model, mode });
  const client = new OpenAI({
    baseURL: stripped.url,
    apiKey: apiKey ?? "none",
    maxRetries: 0,
    timeout: timeoutMs,
    fetch: withOpenAIErrorBodies(options.fetch ?? ((input, init) => globalThis.fetch(input, init))),
    dangerouslyAllowBrowser: true,
    logLevel: "off",
    organization: null,
    project: null,
    ...(basic !== undefined ? { defaultHeaders: { Authorization: `Basic ${basic}` } } : {}),
  });
  const limiter = createConcurrencyLimiter(options.concurrency ?? defaultConcurrency);
  const budget = createBudget(options.budget);
  const estimate = options.estimateTokens ?? estimateRequestTokens;
  const sleep = options.sleep ?? abortableSleep;
  const stats: EndpointStats = {
    requests: 0,
    cacheHits: 0,
    retries: 0,
    promptTokens: 0,
    completionTokens: 0,
  };
  const pending = new Map<string, Promise<{ completion: Completion; hit: boolean }>>();
  let probed: { capabilities: EndpointCapabilities; seedAccepted: boolean } | undefined;
  let probing: Promise<EndpointCapabilities> | undefined;

  const callApi = async (request: ResolvedRequest, signal: AbortSignal): Promise<Completion> => {
    const estimatedPrompt = Math.ceil(request.prompt.length / 4);
    const common = {
      model: config.model,
      temperature: 0,
      max_tokens: request.maxTokens,
      ...(request.sendSeed ? { seed } : {}),
    };
    const requestOptions = { signal, timeout: timeoutMs, maxRetries: 0 };
    if (mode === "chat") {
      const body = await client.chat.completions.create(
        {
          ...common,
          messages: [{ role: "user", content: request.prompt }],
          ...(request.logprobs
            ? { logprobs: true, ...(request.topLogprobs > 0 ? { top_logprobs: request.topLogprobs } : {}) }
            : {}),
        },
        requestOptions,
      );
      return fromChatResponse(body, estimatedPrompt);
    }
    const body = await client.completions.create(
      {
        ...common,
        prompt: request.prompt,
        ...(request.logprobs ? { logprobs: request.topLogprobs } : {}),
        ...(request.echo ? { echo: true } : {}),
      },
      requestOptions,
    );
    return fromCompletionsResponse(body, request, estimatedPrompt);
  };

  const sendWithRetries = (
    request: ResolvedRequest,
    signal: AbortSignal | undefined,
  ): Promise<Completion> => {
    const estimatedTokens = estimate({
      prompt: request.prompt,
      maxTokens: request.maxTokens,
      topLogprobs: request.topLogprobs,
      echo: request.echo,
    });
    return withRetries(
      () =>
        limiter.run(async () => {
          throwIfAborted(signal);
          const ticket = budget.reserve(estimatedTokens);
          stats.requests++;
          const perRequest = requestSignal(signal, timeoutMs);
          try {
            const completion = await callApi(request, perRequest.signal);
            ticket.settle(completion.usage.promptTokens + completion.usage.completionTokens);
            stats.promptTokens += completion.usage.promptTokens;
            stats.completionTokens += completion.usage.completionTokens;
            return completion;
          } catch (error) {
            ticket.release();
            if (signal?.aborted) throw abortedError(signal);
            throw classifyFailure(error, perRequest.timedOut());
          } finally {
            perRequest.dispose();
          }
        }, signal),
      {
        maxRetries: options.maxRetries,
        backoff: options.backoff,
        maxRetryAfterMs: options.maxRetryAfterMs,
        sleep,
        signal,
        onRetry: (event) => {
          stats.retries++;
          options.onRetry?.({
            retry: event.retry,
            delayMs: event.delayMs,
            reason: event.failure.kind,
            ...(event.failure.details.status !== undefined ? { status: event.failure.details.status } : {}),
            message: redact(event.failure.message),
          });
        },
      },
      (failure, attempts) =>
        failureError(failure, {
          attempts,
          baseUrl: info.baseUrl,
          model: config.model,
          timeoutMs,
          ...(config.apiKeyEnv !== undefined ? { apiKeyEnv: config.apiKeyEnv } : {}),
          redact,
        }),
    );
  };

  const send = async (
    request: ResolvedRequest,
    signal: AbortSignal | undefined,
    tag?: string,
  ): Promise<Completion> => {
    throwIfAborted(signal);
    const key = await cacheKey(
      info,
      {
        prompt: request.prompt,
        maxTokens: request.maxTokens,
        topLogprobs: request.topLogprobs,
        echo: request.echo,
      },
      {
        temperature: 0,
        seed: request.sendSeed ? seed : null,
        logprobs: request.logprobs,
        ...(tag ? { tag } : {}),
      },
    );
    const shared = pending.get(key);
    if (shared) {
      try {
        const { completion } = await raceAbort(shared, signal);
        stats.cacheHits++;
        return structuredClone(completion);
      } catch (error) {
        // The caller that sent it cancelled, not this one: send it ourselves.
        if (!isTokenscopeError(error, "ABORTED") || signal?.aborted) throw error;
        return send(request, signal, tag);
      }
    }
    // Registered before the first await, so that an identical request arriving meanwhile waits.
    const promise = (async () => {
      const cached = await options.cache?.get(key);
      if (cached) return { completion: cached, hit: true };
      const completion = await sendWithRetries(request, signal);
      await options.cache?.set(key, completion);
      return { completion, hit: false };
    })();
    pending.set(key, promise);
    try {
      const { completion, hit } = await promise;
      if (hit) stats.cacheHits++;
      return structuredClone(completion);
    } finally {
      pending.delete(key);
    }
  };

  return {
    info,
    capabilities(callOptions: CallOptions = {}) {
      if (probed) return Promise.resolve({ ...probed.capabilities });
      probing ??= probeCapabilities((request, tag) => send(request, callOptions.signal, tag), mode).then(
        (result) => {
          probed = result;
          probing = undefined;
          return { ...result.capabilities };
        },
        (error: unknown) => {
          probing = undefined;
          throw error;
        },
      );
      return probing;
    },
    complete(request: CompletionRequest, callOptions: CallOptions = {}) {
      try {
        checkRequest(request);
      } catch (error) {
        return Promise.reject(error);
      }
      const echo = request.echo ?? false;
      if (echo && mode === "chat") {
        return Promise.reject(
          new TokenscopeError(
            "MISSING_CAPABILITY",
            "echo (the prompt's log-probabilities) needs completions mode.",
            {
              hint: 'Use mode "completions" with a server that has /v1/completions.',
              details: { capability: "echo", mode },
            },
          ),
        );
      }
      const known = probed?.capabilities;
      if (echo && known && !known.echo) {
        return Promise.reject(
          new TokenscopeError(
            "MISSING_CAPABILITY",
            `The API at ${info.baseUrl} does not return the prompt's log-probabilities (echo).`,
            {
              details: { capability: "echo", baseUrl: info.baseUrl, model: info.model },
            },
          ),
        );
      }
      const logprobs = known ? known.logprobs : true;
      const wanted = request.topLogprobs ?? defaultTopLogprobs;
      const resolved: ResolvedRequest = {
        prompt: request.prompt,
        maxTokens: request.maxTokens,
        logprobs,
        topLogprobs: logprobs ? Math.min(wanted, known ? known.topLogprobs : wanted) : 0,
        echo,
        sendSeed: probed ? probed.seedAccepted : true,
      };
      return send(resolved, callOptions.signal);
    },
    stats: () => ({ ...stats }),
  };
}

/** `promise`, or `ABORTED` as soon as `signal` fires. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
