import { TokenscopeError } from "@tokenscope/core";
import { logprobAmong, NEAR_ZERO_LOGPROB, spansOf } from "./output-tokens.ts";
import type { Measure, MeasureOptions } from "./types.ts";

/**
 * `prob_diff` (the seed library's token probability attribution): per original output position,
 * |p_original − p_perturbed|, p = exp(logprob), where p_perturbed is the original token's probability
 * in the perturbed run's top_logprobs: at the same position, or (location-invariant, the default)
 * its highest log-probability at any position; a token missing from the lists counts as logprob −100.
 */
export function probDiff(options: MeasureOptions = {}): Measure {
  const invariant = options.locationInvariant ?? true;
  const abs = options.abs ?? true;
  return {
    id: "prob_diff",
    summary: "|p(original token) − p(it, in the perturbed output's top_logprobs)| per output position",
    needs: { generation: true, logprobs: true, echo: false, embeddings: false },
    async score({ original, perturbed }) {
      if (!original.tokens || !perturbed.tokens) {
        throw new TokenscopeError(
          "MISSING_CAPABILITY",
          "prob_diff needs log-probabilities of the generated tokens.",
          {
            hint: "Use a server that returns logprobs/top_logprobs, or the cosine strategy, which needs none.",
          },
        );
      }
      const perturbedTokens = perturbed.tokens;
      const values = original.tokens.map((token, i) => {
        if (token.logprob === null) return null;
        const candidates = invariant ? perturbedTokens : perturbedTokens.slice(i, i + 1);
        const perturbedLogprob = logprobAmong(token.token, candidates) ?? NEAR_ZERO_LOGPROB;
        const difference = Math.exp(token.logprob) - Math.exp(perturbedLogprob);
        return abs ? Math.abs(difference) : difference;
      });
      return { tokens: spansOf(original.tokens), values };
    },
  };
}
