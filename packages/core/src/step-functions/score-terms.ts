import { contrastSide } from "./inputs.ts";
import {
  accumulateTargetScoreGradient,
  gradientLike,
  logSumExp,
  type TargetScoreKind,
  targetScore,
} from "./math.ts";
import type { LogitVector, StepFunctionInput, StepFunctionOutput } from "./types.ts";

/**
 * One term of a weighted sum of target scores: `weight` × score of `kind`,
 * read on the original side (logits, targetId) or on the contrast side
 * (contrastLogits ?? logits, contrastTargetId ?? targetId).
 */
export interface ScoreTerm {
  kind: TargetScoreKind;
  side: "original" | "contrast";
  weight: number;
}

/**
 * Evaluates (Σ weight × score) / divisor and, when asked, its exact gradient.
 * Most built-ins (logit, probability, logprob, crossentropy, the contrast_*
 * family, pcxmi, in_context_pvi) are such sums, so they share one derivative.
 * `gradContrastLogits` is returned only when separate contrast logits were
 * given and a term reads them; otherwise both sides' terms fold into
 * `gradLogits`.
 */
export function evaluateScoreTerms<L extends LogitVector>(
  input: StepFunctionInput<unknown, L>,
  terms: readonly ScoreTerm[],
  withGradient: boolean,
  divisor = 1,
): StepFunctionOutput<L> {
  const contrast = contrastSide(input);
  const needsNormalizer = (side: ScoreTerm["side"]) =>
    terms.some((term) => term.side === side && term.kind !== "logit");
  const originalNormalizer = needsNormalizer("original") ? logSumExp(input.logits) : Number.NaN;
  const contrastNormalizer = !needsNormalizer("contrast")
    ? Number.NaN
    : contrast.separateLogits || Number.isNaN(originalNormalizer)
      ? logSumExp(contrast.logits)
      : originalNormalizer;
  const sideOf = (term: ScoreTerm) =>
    term.side === "original"
      ? { logits: input.logits, targetId: input.targetId, normalizer: originalNormalizer }
      : { logits: contrast.logits, targetId: contrast.targetId, normalizer: contrastNormalizer };

  let sum = 0;
  for (const term of terms) {
    const side = sideOf(term);
    sum += term.weight * targetScore(term.kind, side.logits, side.targetId, side.normalizer);
  }
  const value = sum / divisor;
  if (!withGradient) return { value };

  const usesContrastLogits = contrast.separateLogits && terms.some((term) => term.side === "contrast");
  const gradOriginal = new Float64Array(input.logits.length);
  const gradContrast = usesContrastLogits ? new Float64Array(input.logits.length) : gradOriginal;
  for (const term of terms) {
    const side = sideOf(term);
    const into = term.side === "contrast" ? gradContrast : gradOriginal;
    accumulateTargetScoreGradient(
      term.kind,
      side.logits,
      side.targetId,
      side.normalizer,
      term.weight / divisor,
      into,
    );
  }
  const output: StepFunctionOutput<L> = { value, gradLogits: gradientLike(input.logits, gradOriginal) };
  if (usesContrastLogits) output.gradContrastLogits = gradientLike(contrast.logits, gradContrast);
  return output;
}
