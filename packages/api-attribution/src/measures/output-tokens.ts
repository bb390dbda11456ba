import type { TokenLogprob } from "../endpoint/types.ts";
import type { SpannedToken } from "./types.ts";

/** Tokens laid end to end: each token's span in the text their concatenation makes. */
export function spansOf(tokens: readonly { token: string }[]): SpannedToken[] {
  let offset = 0;
  return tokens.map(({ token }) => {
    const span: [number, number] = [offset, offset + token.length];
    offset += token.length;
    return { text: token, span };
  });
}

/** The log-probability the seed library reads for a token missing from a top list. */
export const NEAR_ZERO_LOGPROB = -100;

/** A token's log-probability among `candidates` (its own logprob and its alternatives), or undefined. */
export function logprobAmong(token: string, candidates: readonly TokenLogprob[]): number | undefined {
  let best: number | undefined;
  for (const candidate of candidates) {
    const options = [{ token: candidate.token, logprob: candidate.logprob }, ...candidate.top];
    for (const option of options) {
      if (
        option.token === token &&
        option.logprob !== null &&
        (best === undefined || option.logprob > best)
      ) {
        best = option.logprob;
      }
    }
  }
  return best;
}
