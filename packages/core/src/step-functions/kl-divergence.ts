import { z } from "zod";
import { describeLimit, limits } from "../limits/index.ts";
import { validateStepFunctionInput } from "./inputs.ts";
import { gradientLike, logSumExp } from "./math.ts";
import { keptTokenIndices } from "./token-filtering.ts";
import type { StepFunction } from "./types.ts";

const parameters = z.strictObject({
  top_k: z
    .number()
    .int()
    .min(0)
    .max(limits.rankedTokens.max, describeLimit("rankedTokens"))
    .default(0)
    .describe(
      `Keep only the k most probable tokens of the original distribution; 0 = off; ${describeLimit("rankedTokens")}.`,
    ),
  top_p: z
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe(
      "Keep only the smallest set of most probable original tokens whose cumulative probability reaches top_p; 1 = off.",
    ),
  min_tokens_to_keep: z
    .number()
    .int()
    .min(1)
    .max(limits.rankedTokens.max, describeLimit("rankedTokens"))
    .default(1)
    .describe(`Filtering keeps at least this many tokens; ${describeLimit("rankedTokens")}.`),
});

function allIndices(length: number): Int32Array {
  const indices = new Int32Array(length);
  for (let i = 0; i < length; i++) indices[i] = i;
  return indices;
}

/** `kl_divergence`: KL(P‖Q) between the original and the contrastive next-token distributions (Inseq's `kl_divergence`). */
export const klDivergence: StepFunction<z.output<typeof parameters>> = {
  id: "kl_divergence",
  summary: "KL divergence of the contrastive from the original next-token distribution, in nats.",
  description:
    "kl_divergence = KL(P‖Q) = Σ_i P_i (log P_i − log Q_i) with P = softmax(logits) (original input) and " +
    "Q = softmax(contrastLogits) (contrastive input), natural log, in nats (≥ 0; 0 when the two distributions " +
    "agree). It does not depend on the target. Optional filtering (Inseq's parameters): `top_p` keeps the " +
    "smallest set of most probable tokens of P whose cumulative probability reaches top_p (at least " +
    "`min_tokens_to_keep`), `top_k` the k most probable of P (at least min_tokens_to_keep); with both, top-p " +
    "is applied first and the kept set is their intersection. The same kept set is applied to P and Q and " +
    "both are renormalised over it (log-softmax over the kept logits). The kept set is chosen from P alone; " +
    "Inseq's newer releases choose it from logits + contrastLogits by default. The kept set is piecewise " +
    "constant in the logits, so the gradient is that of the renormalised KL over the kept set and 0 for " +
    "filtered-out logits: ∂/∂logits_j = P_j (log P_j − log Q_j − KL), ∂/∂contrastLogits_j = Q_j − P_j. " +
    "Needs contrastLogits.",
  unit: "nats",
  merge: "sum",
  differentiable: true,
  contrast: "input",
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("kl_divergence", input, "input");
    const original = input.logits;
    const contrast = input.contrastLogits!;
    const kept =
      keptTokenIndices(original, {
        topK: input.parameters?.top_k ?? 0,
        topP: input.parameters?.top_p ?? 1,
        minTokensToKeep: input.parameters?.min_tokens_to_keep ?? 1,
      }) ?? allIndices(original.length);
    const originalNormalizer = logSumExp(original, kept);
    const contrastNormalizer = logSumExp(contrast, kept);
    let value = 0;
    for (const i of kept) {
      const logP = original[i]! - originalNormalizer;
      const p = Math.exp(logP);
      // 0 · log(0 / q) is 0 in the limit; computing it would give NaN for a −Infinity logit.
      if (p > 0) value += p * (logP - (contrast[i]! - contrastNormalizer));
    }
    if (!withGradient) return { value };
    const gradOriginal = new Float64Array(original.length);
    const gradContrast = new Float64Array(contrast.length);
    for (const i of kept) {
      const logP = original[i]! - originalNormalizer;
      const p = Math.exp(logP);
      const q = Math.exp(contrast[i]! - contrastNormalizer);
      if (p > 0) gradOriginal[i] = p * (logP - (contrast[i]! - contrastNormalizer) - value);
      gradContrast[i] = q - p;
    }
    return {
      value,
      gradLogits: gradientLike(original, gradOriginal),
      gradContrastLogits: gradientLike(contrast, gradContrast),
    };
  },
};
