import { TokenscopeError } from "@tokenscope/core";

/*
 * The fetch tokenscope hands to @huggingface/hub: every request is bounded in time (a connect
 * timeout until the response's headers arrive, a read timeout while its body is awaited), stops
 * on the caller's AbortSignal, and reports the bytes it receives. Without it an endpoint that
 * accepts the connection and never answers holds the process for undici's five minutes, deaf to
 * Ctrl-C.
 */

/** Default time for a hub request's response headers to arrive: 30 s. */
const DEFAULT_HUB_CONNECT_TIMEOUT_MS = 30_000;
/** Default time a hub download may go without receiving a byte: 60 s. */
const DEFAULT_HUB_READ_TIMEOUT_MS = 60_000;

/** Environment variables that override the defaults (milliseconds). */
const HUB_CONNECT_TIMEOUT_ENV = "TOKENSCOPE_HUB_CONNECT_TIMEOUT_MS";
const HUB_READ_TIMEOUT_ENV = "TOKENSCOPE_HUB_READ_TIMEOUT_MS";

/** How long hub requests may take, resolved from options, environment and defaults. */
export interface HubTimeouts {
  connectTimeoutMs: number;
  readTimeoutMs: number;
}

function timeoutFrom(
  given: number | undefined,
  variable: string,
  fallback: number,
  env: Record<string, string | undefined>,
): number {
  const raw = given ?? (env[variable]?.trim() ? Number(env[variable]) : undefined);
  if (raw === undefined) return fallback;
  if (!Number.isFinite(raw) || raw <= 0) {
    const what = given !== undefined ? "the timeout option" : variable;
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${what} is ${given ?? JSON.stringify(env[variable])}, not a positive number of milliseconds.`,
      {
        hint: `Give milliseconds, e.g. ${variable}=${fallback}.`,
        details: { variable, value: given ?? env[variable] },
      },
    );
  }
  return raw;
}

/**
 * The timeouts of hub requests: the options when given, else `TOKENSCOPE_HUB_CONNECT_TIMEOUT_MS`
 * and `TOKENSCOPE_HUB_READ_TIMEOUT_MS`, else 30 s and 60 s.
 * @throws TokenscopeError INVALID_INPUT for a value that is not a positive number.
 */
export function hubTimeouts(
  options: { connectTimeoutMs?: number; readTimeoutMs?: number },
  env: Record<string, string | undefined> = process.env,
): HubTimeouts {
  return {
    connectTimeoutMs: timeoutFrom(
      options.connectTimeoutMs,
      HUB_CONNECT_TIMEOUT_ENV,
      DEFAULT_HUB_CONNECT_TIMEOUT_MS,
      env,
    ),
    readTimeoutMs: timeoutFrom(options.readTimeoutMs, HUB_READ_TIMEOUT_ENV, DEFAULT_HUB_READ_TIMEOUT_MS, env),
  };
}

/** Options of {@link createHubFetch}. */
export interface HubFetchOptions extends HubTimeouts {
  /** Aborts every request under way, and refuses new ones, once it fires. */
  signal?: AbortSignal;
  /** A response's headers arrived: its URL and the size of the file it carries, when stated. */
  onHeaders?: (url: string, totalBytes: number | undefined) => void;
  /** `bytes` more of a response's body arrived. */
  onBytes?: (url: string, bytes: number) => void;
}

/** A bounded fetch, and what stopped it. */
export interface HubFetch {
  fetch: typeof fetch;
  /**
   * The timeout or cancellation that stopped a request, if one did. @huggingface/hub passes some
   * errors on reworded (a download's as a bare string), so this is the account to trust.
   */
  failure(): TokenscopeError | undefined;
}

/** Why a request was stopped: `details.network` is "connect-timeout", "read-timeout" or "cancelled". */
function timedOut(kind: "connect" | "read", url: string, ms: number): TokenscopeError {
  const seconds = `${ms / 1000} s`;
  const [what, variable, network] =
    kind === "connect"
      ? [
          `the hub did not answer within ${seconds} (connect timeout)`,
          HUB_CONNECT_TIMEOUT_ENV,
          "connect-timeout",
        ]
      : [`the download stalled: no data for ${seconds} (read timeout)`, HUB_READ_TIMEOUT_ENV, "read-timeout"];
  return new TokenscopeError("MODEL_LOAD_FAILED", `${what}.`, {
    hint: `Check the network and the endpoint (HF_ENDPOINT); on a slow link raise the timeout with ${variable} (milliseconds).`,
    details: { network, what, url: new URL(url).origin, timeoutMs: ms },
  });
}

function cancelled(signal: AbortSignal): TokenscopeError {
  return new TokenscopeError("ABORTED", "The download was cancelled.", {
    cause: signal.reason,
    details: { network: "cancelled", reason: String(signal.reason) },
  });
}

/** The size of the file a response carries: the hub's X-Linked-Size, a range's total, or the length. */
function statedSize(headers: Headers): number | undefined {
  const linked = headers.get("x-linked-size");
  const range = headers.get("content-range")?.split("/").pop();
  const length = headers.get("content-length");
  for (const value of [linked, range, length]) {
    const size = value ? Number(value) : Number.NaN;
    if (Number.isSafeInteger(size) && size >= 0) return size;
  }
  return undefined;
}

/** Statuses a Response cannot be constructed with a body for. */
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);

function requestUrl(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === "string") return input;
  return input instanceof URL ? input.href : input.url;
}

/**
 * Wraps `base` (global fetch by default) so that each request fails with a typed error after
 * `connectTimeoutMs` without response headers or `readTimeoutMs` without a byte of body while
 * the body is being read (an unread body never times out), and stops at once when `signal` fires.
 */
export function createHubFetch(base: typeof fetch, options: HubFetchOptions): HubFetch {
  let failure: TokenscopeError | undefined;
  const record = (error: TokenscopeError) => {
    failure ??= error;
    return error;
  };
  const bounded = async (input: Parameters<typeof fetch>[0], init: RequestInit = {}): Promise<Response> => {
    const { signal } = options;
    if (signal?.aborted) throw record(cancelled(signal));
    const url = requestUrl(input);
    const controller = new AbortController();
    const onAbort = () => controller.abort(record(cancelled(signal!)));
    signal?.addEventListener("abort", onAbort, { once: true });
    const release = () => signal?.removeEventListener("abort", onAbort);
    // The caller's own signal, if it passes one, still works.
    if (init.signal?.aborted) controller.abort(init.signal.reason);
    else init.signal?.addEventListener("abort", () => controller.abort(init.signal!.reason), { once: true });
    const connectTimer = setTimeout(
      () => controller.abort(record(timedOut("connect", url, options.connectTimeoutMs))),
      options.connectTimeoutMs,
    );
    let response: Response;
    try {
      response = await base(input, { ...init, signal: controller.signal });
    } catch (error) {
      release();
      throw controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      clearTimeout(connectTimer);
    }
    options.onHeaders?.(url, statedSize(response.headers));
    if (!response.body || nullBodyStatuses.has(response.status)) {
      release();
      return response;
    }
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(stream) {
          const idleTimer = setTimeout(
            () => controller.abort(record(timedOut("read", url, options.readTimeoutMs))),
            options.readTimeoutMs,
          );
          try {
            const { done, value } = await reader.read();
            if (done) {
              release();
              stream.close();
              return;
            }
            options.onBytes?.(url, value.byteLength);
            stream.enqueue(value);
          } catch (error) {
            release();
            stream.error(controller.signal.aborted ? controller.signal.reason : error);
          } finally {
            clearTimeout(idleTimer);
          }
        },
        cancel(reason) {
          release();
          return reader.cancel(reason);
        },
      },
      // Pulled only when read: a body nobody reads never times out.
      { highWaterMark: 0 },
    );
    const wrapped = new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    Object.defineProperty(wrapped, "url", { value: response.url });
    return wrapped;
  };
  return { fetch: bounded as typeof fetch, failure: () => failure };
}
