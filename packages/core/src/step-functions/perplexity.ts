import { z } from "zod";
import { validateStepFunctionInput } from "./inputs.ts";
import { accumulateTargetScoreGradient, gradientLike, logSumExp, targetScore } from "./math.ts";
import type { StepFunction } from "./types.ts";

const parameters = z.strictObject({});

/** `perplexity`: exp(crossentropy) of the target token. */
export const perplexity: StepFunction<z.output<typeof parameters>> = {
  id: "perplexity",
  summary: "Per-token perplexity: exp(crossentropy) = 1 / p(target).",
  description:
    "perplexity = exp(crossentropy) = 1 / softmax(logits)[target], a count of equally likely choices (≥ 1; 1 " +
    "when the model is certain of the target). It uses the same (natural) base as crossentropy so that " +
    "perplexity = exp(crossentropy) holds exactly. Inseq computes 2 ** crossentropy with a natural-log " +
    "cross-entropy, mixing bases; its values are therefore 2^(−ln p) rather than 1/p. Overflows to Infinity " +
    "when the cross-entropy exceeds about 709 nats.",
  unit: "tokens (e^crossentropy, base e)",
  merge: "prod",
  differentiable: true,
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("perplexity", input, undefined);
    const { logits, targetId } = input;
    const logNormalizer = logSumExp(logits);
    // 0 + (−1)·x, as crossentropy computes it, so exp(crossentropy) matches bit for bit.
    const crossEntropy = 0 + -1 * targetScore("logprob", logits, targetId, logNormalizer);
    const value = Math.exp(crossEntropy);
    if (!withGradient) return { value };
    // d exp(ce) = exp(ce) · d ce, and d ce = −d logprob.
    const gradient = new Float64Array(logits.length);
    accumulateTargetScoreGradient("logprob", logits, targetId, logNormalizer, -value, gradient);
    return { value, gradLogits: gradientLike(logits, gradient) };
  },
};
