import { z } from "zod";
import { validateStepFunctionInput } from "./inputs.ts";
import { gradientLike, logSumExp } from "./math.ts";
import type { StepFunction } from "./types.ts";

const parameters = z.strictObject({});

/** `entropy`: Shannon entropy of the next-token distribution, nats (Inseq's `entropy`). */
export const entropy: StepFunction<z.output<typeof parameters>> = {
  id: "entropy",
  summary: "Entropy of the model's next-token distribution, in nats.",
  description:
    "entropy = −Σ_i p_i log p_i with p = softmax(logits), natural log, in nats; from 0 (all mass on one " +
    "token) to log(vocabulary size) (uniform). It does not depend on the target. Tokens with probability 0 " +
    "(including logits of −Infinity) contribute 0. Derivative: ∂H/∂logit_j = −p_j (log p_j + H). Same as " +
    "Inseq's `entropy`.",
  unit: "nats",
  merge: "sum",
  differentiable: true,
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("entropy", input, undefined);
    const { logits } = input;
    const logNormalizer = logSumExp(logits);
    let value = 0;
    for (let i = 0; i < logits.length; i++) {
      const logProbability = logits[i]! - logNormalizer;
      const probability = Math.exp(logProbability);
      // p = 0 with log p = −Infinity would give NaN; its limit p log p is 0.
      if (probability > 0) value -= probability * logProbability;
    }
    if (!withGradient) return { value };
    const gradient = new Float64Array(logits.length);
    for (let j = 0; j < logits.length; j++) {
      const logProbability = logits[j]! - logNormalizer;
      const probability = Math.exp(logProbability);
      if (probability > 0) gradient[j] = -probability * (logProbability + value);
    }
    return { value, gradLogits: gradientLike(logits, gradient) };
  },
};
