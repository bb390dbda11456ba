import { TokenscopeError } from "@tokenscope/core";
import { softmax } from "./distribution.ts";

/**
 * How a step's attribution scores become the importance weights the metrics use.
 *
 * - `"signed"` (default): w_i = a_i / Σ_j |a_j|. This is what ReAGent's evaluators receive: its own
 *   methods hand over softmax-normalised scores, and Inseq's (which ReAGent calls for the gradient and
 *   attention baselines) are aggregated and divided by the sum of absolute values with signs kept. For
 *   non-negative scores (saliency's L2 norms, attention, ReAGent) the weights are simply a_i / Σ a_j and
 *   sum to 1; a negative weight is a keep probability below 0, so ReAGent's `rand < w` never keeps it
 *   (and always keeps it under 1 − w), exactly as here.
 * - `"abs"`: w_i = |a_i| / Σ_j |a_j|: the magnitude counts, the sign does not.
 *
 * Already-normalised rows (tokenscope's default `normalize`) come out unchanged under `"signed"`. A row
 * of zeros gives zero weights.
 */
export type ImportanceNormalization = "signed" | "abs";

/** Normalises one step's scores (source cells, then target-prefix cells) into importance weights. */
export function normalizeImportance(
  scores: ArrayLike<number>,
  normalization: ImportanceNormalization = "signed",
): Float64Array {
  let total = 0;
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!;
    if (!Number.isFinite(score)) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `An attribution score is ${score}; metrics need finite scores.`,
        {
          hint: "Check the attribution run (NaN or infinite scores) before evaluating it.",
          details: { index: i, score },
        },
      );
    }
    total += Math.abs(score);
  }
  const weights = new Float64Array(scores.length);
  if (total === 0) return weights;
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!;
    weights[i] = (normalization === "abs" ? Math.abs(score) : score) / total;
  }
  return weights;
}

/**
 * ReAGent's random baseline importance: the softmax of uniform noise in [0, 1) over the step's units
 * (`normalise_random(torch.rand(importance_scores.size()))` in `evaluate_analogies.py` and
 * `sequence_rationalization.py`; `torch.softmax(torch.rand(...), dim=-1)` in its notebook).
 */
export function randomImportance(uniforms: ArrayLike<number>): Float64Array {
  return softmax(uniforms);
}

/**
 * Unit indices from most to least important; ties go to the earlier position (a stable order, where
 * ReAGent's `torch.argsort(descending=True)` leaves ties unspecified).
 */
export function importanceOrder(weights: ArrayLike<number>): number[] {
  return Array.from({ length: weights.length }, (_, index) => index).sort(
    (a, b) => weights[b]! - weights[a]! || a - b,
  );
}
