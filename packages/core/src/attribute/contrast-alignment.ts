import { TokenscopeError } from "../errors/index.ts";

/** Explicit (target index, contrast index) pairs, or "auto" (embedding similarity, see {@link autoAlignment}). */
export type ContrastAlignment = "auto" | readonly (readonly [number, number])[];

function badAlignment(message: string, details: Record<string, unknown>): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, {
    hint: 'Give contrastAlignments as [[targetIndex, contrastIndex], ...] pairs of target and contrast token indices (0-based, e.g. "[[0,0],[1,2]]"), or "auto".',
    details,
  });
}

/**
 * Right alignment, as Inseq fills steps with no pair: the last target token faces the last contrast
 * token, the one before it the one before, and so on. Target steps before the contrast's first token
 * (a shorter contrast) face that first token; Inseq's fill, whose indices count the prompt too, uses
 * the last one there instead.
 */
export function rightAlignment(targetLength: number, contrastLength: number): number[] {
  return Array.from({ length: targetLength }, (_, t) => Math.max(0, contrastLength - (targetLength - t)));
}

/**
 * The contrast index of every target step from explicit pairs, as Inseq's `get_adjusted_alignments`
 * reads them: pairs are sorted, a target index takes its first pair whose contrast index no earlier
 * step took (else its first pair), and steps no pair names are right-aligned. Pairs outside either
 * sequence are refused rather than skipped: an index off by one is a mistake, not a preference.
 */
export function explicitAlignment(
  pairs: readonly (readonly [number, number])[],
  targetLength: number,
  contrastLength: number,
): number[] {
  for (const [index, pair] of pairs.entries()) {
    const valid =
      Array.isArray(pair) &&
      pair.length === 2 &&
      pair.every((value) => Number.isInteger(value) && value >= 0);
    if (!valid) {
      throw badAlignment(`Contrast alignment pair ${index} is not two non-negative integers.`, {
        pair: index,
      });
    }
    if (pair[0] >= targetLength || pair[1] >= contrastLength) {
      throw badAlignment(
        `Contrast alignment pair [${pair[0]}, ${pair[1]}] is outside the sequences: the target has ${targetLength} tokens and the contrast ${contrastLength}.`,
        { pair: [...pair], targetLength, contrastLength },
      );
    }
  }
  // Grouped by target index once: a list of pairs far longer than the sequences stays linear.
  const byTarget = new Map<number, number[]>();
  for (const [t, c] of pairs) {
    const list = byTarget.get(t);
    if (list) list.push(c);
    else byTarget.set(t, [c]);
  }
  const alignment = rightAlignment(targetLength, contrastLength);
  const taken = new Set<number>();
  for (let t = 0; t < targetLength; t++) {
    const matches = byTarget.get(t)?.sort((a, b) => a - b);
    if (!matches) continue;
    const chosen = matches.find((c) => !taken.has(c)) ?? matches[0]!;
    taken.add(chosen);
    alignment[t] = chosen;
  }
  return alignment;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < a.length; k++) {
    dot += a[k]! * b[k]!;
    na += a[k]! * a[k]!;
    nb += b[k]! * b[k]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * "auto": a monotonic alignment from the model's own token embeddings. Identical token ids are
 * matched first (a longest common subsequence); inside each gap between matches every target token
 * faces the gap's contrast token whose input embedding is most similar (cosine), and a gap with no
 * contrast tokens faces the next matched contrast token (the one predicted after the same prefix),
 * else the last one.
 * Inseq's "auto" aligns words across languages with LaBSE and AWESOME-style subword alignment, a model
 * of its own to download; this needs none and suits contrasts in the model's language — give explicit
 * pairs for translations or reorderings.
 */
export function autoAlignment(
  target: readonly number[],
  contrast: readonly number[],
  embedding: (tokenIndex: { side: "target" | "contrast"; index: number }) => ArrayLike<number>,
): number[] {
  const T = target.length;
  const C = contrast.length;
  // lengths[i][j]: LCS of target[i:] and contrast[j:].
  const lengths = Array.from({ length: T + 1 }, () => new Int32Array(C + 1));
  for (let i = T - 1; i >= 0; i--) {
    for (let j = C - 1; j >= 0; j--) {
      lengths[i]![j] =
        target[i] === contrast[j]
          ? lengths[i + 1]![j + 1]! + 1
          : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const matches: [number, number][] = [];
  for (let i = 0, j = 0; i < T && j < C; ) {
    if (target[i] === contrast[j]) {
      matches.push([i, j]);
      i++;
      j++;
    } else if (lengths[i + 1]![j]! >= lengths[i]![j + 1]!) i++;
    else j++;
  }
  const fallback = rightAlignment(T, C);
  const alignment = new Array<number>(T);
  const bounds: [number, number][] = [[-1, -1], ...matches, [T, C]];
  for (let m = 0; m + 1 < bounds.length; m++) {
    const [ti, ci] = bounds[m]!;
    const [tEnd, cEnd] = bounds[m + 1]!;
    if (ti >= 0) alignment[ti] = ci;
    for (let t = ti + 1; t < tEnd; t++) {
      if (cEnd - ci > 1) {
        let best = ci + 1;
        let bestScore = Number.NEGATIVE_INFINITY;
        const mine = embedding({ side: "target", index: t });
        for (let c = ci + 1; c < cEnd; c++) {
          const score = cosine(mine, embedding({ side: "contrast", index: c }));
          if (score > bestScore) {
            bestScore = score;
            best = c;
          }
        }
        alignment[t] = best;
      } else {
        // Nothing faces it: the contrast token that follows the same matched prefix, if any.
        alignment[t] = cEnd < C ? cEnd : ci >= 0 ? ci : fallback[t]!;
      }
    }
  }
  return alignment;
}
