import { TokenscopeError } from "@tokenscope/core";
import type { TokenLogprob } from "../endpoint/types.ts";
import type { Measure, MeasureOptions, SpannedToken } from "./types.ts";

/** Scored output tokens with their spans in the output text (offsets relative to the output's start). */
function spanned(tokens: readonly TokenLogprob[]): SpannedToken[] {
  return tokens.map((token) => {
    const start = token.offset ?? 0;
    return { text: token.token, span: [start, start + token.token.length] };
  });
}

/**
 * `logprob`, teacher-forced: per token of the ORIGINAL output, log p(token | original prompt, earlier
 * output tokens) − log p(token | perturbed prompt, earlier output tokens), both read from prompt
 * log-probabilities (the prompt followed by the original output, scored with echo), so nothing is
 * regenerated and the answer is exact. Magnitudes by default (`abs`), as local occlusion reports;
 * signed, it is positive where the removed unit supported the token. With removal this is occlusion.
 */
export function teacherForcedLogprob(options: MeasureOptions = {}): Measure {
  const abs = options.abs ?? true;
  return {
    id: "logprob",
    summary: "log p(original output token | original prompt) − log p(it | perturbed prompt), teacher-forced",
    needs: { generation: false, logprobs: true, echo: true, embeddings: false },
    async score({ originalScored, perturbedScored }) {
      if (!originalScored || !perturbedScored) {
        throw new TokenscopeError(
          "MISSING_CAPABILITY",
          "The logprob strategy needs prompt log-probabilities (echo).",
          {
            hint: "Use --mode completions on a server that supports echo with logprobs (vLLM, tokenscope serve), or prob_diff / cosine.",
          },
        );
      }
      const byOffset = new Map<string, number | null>();
      for (const token of perturbedScored)
        byOffset.set(`${token.offset ?? -1}:${token.token}`, token.logprob);
      const values = originalScored.map((token) => {
        const perturbed = byOffset.get(`${token.offset ?? -1}:${token.token}`);
        if (token.logprob === null || perturbed === undefined || perturbed === null) return null;
        const difference = token.logprob - perturbed;
        return abs ? Math.abs(difference) : difference;
      });
      return { tokens: spanned(originalScored), values };
    },
  };
}
