/** How prompts are sent: as one user message (chat completions) or as raw text (completions). */
export type EndpointMode = "chat" | "completions";

/** Where the model is and how to reach it. The key itself is never part of this object. */
export interface EndpointConfig {
  /** The API's base URL, e.g. "https://api.openai.com/v1" or "http://127.0.0.1:8080/v1". */
  baseUrl: string;
  /** The model name the server knows ("gpt-4o-mini", "stories260K"). */
  model: string;
  /** Chat or completions; default "chat". */
  mode?: EndpointMode;
  /**
   * Name of the environment variable that holds the API key (default "OPENAI_API_KEY"). Only the
   * name is stored anywhere; the value is read when the client is made and goes only into the
   * Authorization header.
   */
  apiKeyEnv?: string;
}

/** One candidate of a `top_logprobs` list. */
export interface TopLogprob {
  token: string;
  logprob: number;
}

/** One token of an output (or, with echo, of the prompt) with its log-probability and alternatives. */
export interface TokenLogprob {
  token: string;
  /** null where the server gives none (the first prompt token under echo). */
  logprob: number | null;
  /** The most likely tokens at this position, most likely first (empty when not asked for). */
  top: TopLogprob[];
  /** Offset of the token in the text it belongs to (completions' `text_offset`), when the server says. */
  offset?: number;
}

/** One request: a prompt and how much to generate. */
export interface CompletionRequest {
  prompt: string;
  /** Tokens to generate; 0 only with `echo` (scoring the prompt). */
  maxTokens: number;
  /** Alternatives per position (0 to 20); default 20 when the server has logprobs. */
  topLogprobs?: number;
  /** Completions mode only: return the prompt's tokens with their log-probabilities too. */
  echo?: boolean;
}

/** What came back. */
export interface Completion {
  /** The generated text (without the prompt, also under echo). */
  text: string;
  /** The generated tokens with log-probabilities; null when the server gave none. */
  tokens: TokenLogprob[] | null;
  /** With echo: the prompt's tokens with log-probabilities; otherwise null. */
  promptTokens: TokenLogprob[] | null;
  finishReason: string | null;
  usage: { promptTokens: number; completionTokens: number };
}

/** What a server supports, found by probing it (see `probeCapabilities`). */
export interface EndpointCapabilities {
  /** Generated tokens come with log-probabilities. */
  logprobs: boolean;
  /** How many alternatives per position it returns when asked for 20 (0 when none). */
  topLogprobs: number;
  /** Two identical requests with the same seed gave the same output. */
  seed: boolean;
  /** Completions with `echo: true` return the prompt's log-probabilities (needed by `logprob`). */
  echo: boolean;
}

/** Requests, tokens and retries of a run so far. */
export interface EndpointStats {
  /** Requests sent to the server (each retry counts). */
  requests: number;
  /** Requests answered from the cache (nothing sent). */
  cacheHits: number;
  /** Retries after a 429, 5xx, timeout or dropped connection. */
  retries: number;
  promptTokens: number;
  completionTokens: number;
}

/** Options of one call. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** A model behind an API, as the attribution code uses it. */
export interface Endpoint {
  /** The endpoint's address without credentials, its model and mode: what results record. */
  readonly info: { baseUrl: string; model: string; mode: EndpointMode };
  /** Probes (once, then remembered) what the server supports. */
  capabilities(options?: CallOptions): Promise<EndpointCapabilities>;
  /** One completion at temperature 0 with a fixed seed; retried, cached and limited as configured. */
  complete(request: CompletionRequest, options?: CallOptions): Promise<Completion>;
  /** Counters so far. */
  stats(): EndpointStats;
}
