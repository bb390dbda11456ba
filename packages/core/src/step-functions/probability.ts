import { z } from "zod";
import { validateStepFunctionInput } from "./inputs.ts";
import { evaluateScoreTerms } from "./score-terms.ts";
import type { StepFunction } from "./types.ts";

const parameters = z.strictObject({
  logprob: z
    .boolean()
    .default(false)
    .describe("Return the log-probability (nats) instead of the probability, as Inseq's logprob=True."),
});

/** `probability`: softmax probability of the target token (Inseq's `probability`). */
export const probability: StepFunction<z.output<typeof parameters>> = {
  id: "probability",
  summary: "The probability the model gives the target token.",
  description:
    "probability = softmax(logits)[target], a probability in [0, 1]; higher means the model is more confident " +
    "in the target. With `logprob: true` it returns log softmax(logits)[target] instead, in nats (≤ 0), like " +
    "Inseq's probability with logprob=True (the same value as the `logprob` step function). Computed in float64 " +
    "with a stable log-sum-exp. Same as Inseq's `probability`.",
  unit: "probability",
  merge: "prod",
  differentiable: true,
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("probability", input, undefined);
    const kind = input.parameters?.logprob === true ? "logprob" : "probability";
    return evaluateScoreTerms(input, [{ kind, side: "original", weight: 1 }], withGradient);
  },
};
