import { isTokenscopeError } from "@tokenscope/core";
import type { Completion, EndpointCapabilities, EndpointMode } from "./types.ts";

/** One request as the endpoint sends it, every parameter decided. */
export interface ResolvedRequest {
  prompt: string;
  maxTokens: number;
  /** Whether to ask for log-probabilities at all. */
  logprobs: boolean;
  /** Alternatives per position (0: the chosen token's log-probability only). */
  topLogprobs: number;
  echo: boolean;
  /** Whether to send the seed. */
  sendSeed: boolean;
}

/** Sends one resolved request (retried and cached as every request); `tag` keeps copies apart. */
export type ProbeSend = (request: ResolvedRequest, tag?: string) => Promise<Completion>;

/** What the probe found, with what the endpoint must keep sending. */
export interface ProbeResult {
  capabilities: EndpointCapabilities;
  /** False when the server refused the `seed` parameter: it is then left out. */
  seedAccepted: boolean;
}

/** The probe's prompt: short, so that the probe costs a handful of tokens. */
export const probePrompt = "The capital of France is";

/** Alternatives asked for, in turn, while the server refuses: 20, 5 (OpenAI's legacy limit), 1, 0, none. */
const topLadder: readonly (number | null)[] = [20, 5, 1, 0, null];

function refusedParameter(error: unknown): string | undefined {
  if (!isTokenscopeError(error, "API_ERROR")) return undefined;
  const status = error.details.status;
  if (status !== 400 && status !== 422) return undefined;
  const message = error.details.serverMessage;
  return typeof message === "string" ? message : "";
}

/**
 * Finds what a server supports with tiny requests (2 new tokens each), normally two:
 * 1. the probe prompt asking for 20 alternatives per position (completions mode: with `echo`);
 *    a refusal (HTTP 400/422) naming `echo` or `seed` drops that parameter, any other refusal
 *    asks for fewer alternatives (5, 1, 0, then no log-probabilities) — a server that refuses is
 *    reported as lacking the feature rather than failing. `logprobs`: tokens came back with
 *    log-probabilities; `topLogprobs`: the most alternatives at any position; `echo`: the text
 *    came back with the prompt and the prompt's tokens have log-probabilities (chat: false);
 * 2. the same request again: `seed` is true when both gave the same text. This is a cheap check of
 *    what attribution needs, reproducible answers; it cannot tell a server that honours the seed
 *    from one that is deterministic at temperature 0 anyway.
 * Other errors (401, 404, unreachable) are thrown as they are.
 */
export async function probeCapabilities(send: ProbeSend, mode: EndpointMode): Promise<ProbeResult> {
  let echo = mode === "completions";
  let seedAccepted = true;
  let rung = 0;
  let request: ResolvedRequest;
  let first: Completion;
  for (;;) {
    const top = topLadder[rung] ?? null;
    request = {
      prompt: probePrompt,
      maxTokens: 2,
      logprobs: top !== null,
      topLogprobs: top ?? 0,
      echo,
      sendSeed: seedAccepted,
    };
    try {
      first = await send(request);
      break;
    } catch (error) {
      const message = refusedParameter(error);
      if (message === undefined) throw error;
      if (echo && /echo/i.test(message)) echo = false;
      else if (seedAccepted && /\bseed\b/i.test(message)) seedAccepted = false;
      else if (rung < topLadder.length - 1) rung++;
      else if (echo) {
        echo = false;
        rung = 0;
      } else if (seedAccepted) {
        seedAccepted = false;
        rung = 0;
      } else throw error;
    }
  }
  const tokens = first.tokens ?? [];
  const logprobs = tokens.some((token) => token.logprob !== null);
  const topLogprobs = logprobs ? Math.max(0, ...tokens.map((token) => token.top.length)) : 0;
  const echoWorks = request.echo && (first.promptTokens?.some((token) => token.logprob !== null) ?? false);
  const second = await send(request, "probe: seed check");
  return {
    capabilities: {
      logprobs,
      topLogprobs,
      seed: seedAccepted && second.text === first.text,
      echo: echoWorks,
    },
    seedAccepted,
  };
}
