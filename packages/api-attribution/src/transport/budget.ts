import { TokenscopeError } from "@tokenscope/core";

/** Caps on what a run may spend. Both are optional; neither means no cap. */
export interface BudgetLimits {
  /** Most HTTP requests to send, retries included (each one is a request the server sees). */
  maxRequests?: number;
  /** Most tokens to use, prompt plus completion, as the server reports them in `usage`. */
  maxTokens?: number;
}

/** One reservation of the budget: settled with what the request really used, or released. */
export interface BudgetTicket {
  /** The request was answered: count what it used (its reservation is dropped). */
  settle(usedTokens: number): void;
  /** The request failed or was cancelled: drop the reservation (the request still counts). */
  release(): void;
}

/** Tracks requests and tokens against {@link BudgetLimits}, reserving before each send. */
export interface Budget {
  /**
   * Reserves one request and `estimatedTokens` tokens, or refuses before anything is sent.
   * @throws TokenscopeError API_ERROR with `details.budget` when the request would go past a cap.
   */
  reserve(estimatedTokens: number): BudgetTicket;
  /** Requests reserved so far (sent or being sent). */
  readonly requests: number;
  /** Tokens used by answered requests. */
  readonly tokens: number;
}

/**
 * A budget over `limits`. Requests in flight hold their estimated tokens, so that several
 * concurrent requests cannot together overshoot `maxTokens`; an answered request replaces its
 * estimate with the usage the server reported.
 * @throws TokenscopeError INVALID_INPUT when a cap is negative or not a number.
 */
export function createBudget(limits: BudgetLimits = {}): Budget {
  for (const [name, value] of Object.entries(limits)) {
    if (value !== undefined && !(typeof value === "number" && value >= 0 && !Number.isNaN(value))) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `The budget's ${name} must be a number of at least 0, not ${value}.`,
        {
          details: { [name]: value },
        },
      );
    }
  }
  let requests = 0;
  let usedTokens = 0;
  let reservedTokens = 0;

  return {
    reserve(estimatedTokens) {
      const estimate = Math.max(0, Math.ceil(estimatedTokens));
      if (limits.maxRequests !== undefined && requests + 1 > limits.maxRequests) {
        throw new TokenscopeError(
          "API_ERROR",
          `The request budget is spent: ${requests} request${requests === 1 ? " was" : "s were"} sent and the cap is maxRequests = ${limits.maxRequests}, so the next one was not sent.`,
          {
            hint: "Raise maxRequests (--max-requests on the command line), or use a response cache so that a rerun does not pay twice.",
            details: {
              budget: { limit: "maxRequests", maxRequests: limits.maxRequests, requestsSent: requests },
            },
          },
        );
      }
      if (limits.maxTokens !== undefined && usedTokens + reservedTokens + estimate > limits.maxTokens) {
        throw new TokenscopeError(
          "API_ERROR",
          `The token budget would be exceeded: ${usedTokens} tokens were used by ${requests} request${requests === 1 ? "" : "s"}${reservedTokens > 0 ? ` (${reservedTokens} more held by requests in flight)` : ""}, the next request needs about ${estimate}, and the cap is maxTokens = ${limits.maxTokens}; it was not sent.`,
          {
            hint: "Raise maxTokens (--max-tokens on the command line), or ask for fewer new tokens.",
            details: {
              budget: {
                limit: "maxTokens",
                maxTokens: limits.maxTokens,
                tokensUsed: usedTokens,
                tokensInFlight: reservedTokens,
                estimatedTokens: estimate,
                requestsSent: requests,
              },
            },
          },
        );
      }
      requests++;
      reservedTokens += estimate;
      let open = true;
      const close = () => {
        if (!open) return false;
        open = false;
        reservedTokens -= estimate;
        return true;
      };
      return {
        settle(used) {
          if (close()) usedTokens += Math.max(0, used);
        },
        release() {
          close();
        },
      };
    },
    get requests() {
      return requests;
    },
    get tokens() {
      return usedTokens;
    },
  };
}

/**
 * What a request will likely use before it is sent, without a tokenizer: about four characters
 * per prompt token, plus every token it may generate.
 */
export function estimateRequestTokens(request: { prompt: string; maxTokens: number }): number {
  return Math.ceil(request.prompt.length / 4) + Math.max(0, request.maxTokens);
}
