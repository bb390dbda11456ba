import { TokenscopeError } from "@tokenscope/core";
import { spansOf } from "./output-tokens.ts";
import type { Measure, MeasureOptions } from "./types.ts";

/**
 * `token_displacement` (the seed library's): per original output position, the rank of the original
 * token among the perturbed run's predictions at that position (0: still the most likely, 1: second,
 * ...; location-invariant: its best rank at any position), and the list's length (the maximum
 * displacement) when it is not in the list at all.
 */
export function tokenDisplacement(options: MeasureOptions = {}): Measure {
  const invariant = options.locationInvariant ?? false;
  return {
    id: "token_displacement",
    summary:
      "rank of the original token among the perturbed output's top_logprobs (the list length when absent)",
    needs: { generation: true, logprobs: true, echo: false, embeddings: false },
    async score({ original, perturbed }) {
      if (!original.tokens || !perturbed.tokens) {
        throw new TokenscopeError(
          "MISSING_CAPABILITY",
          "token_displacement needs top_logprobs of the generated tokens.",
          { hint: "Use a server that returns top_logprobs, or the cosine strategy, which needs none." },
        );
      }
      const perturbedTokens = perturbed.tokens;
      const maximum = Math.max(1, ...perturbedTokens.map((token) => token.top.length));
      const rankAt = (token: string, position: number) => {
        const candidates = perturbedTokens[position];
        if (!candidates) return maximum;
        const ranked =
          candidates.top.length > 0 ? candidates.top.map((top) => top.token) : [candidates.token];
        const rank = ranked.indexOf(token);
        return rank < 0 ? maximum : rank;
      };
      const values = original.tokens.map((token, i) =>
        invariant
          ? Math.min(maximum, ...perturbedTokens.map((_, position) => rankAt(token.token, position)))
          : rankAt(token.token, i),
      );
      return { tokens: spansOf(original.tokens), values };
    },
  };
}
