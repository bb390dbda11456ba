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

/** `contrast_prob`: probability of the contrast target under the contrast logits (Inseq's `contrast_prob`). */
export const contrastProb: StepFunction<z.output<typeof parameters>> = {
  id: "contrast_prob",
  summary: "The probability of the contrast target given the contrastive input.",
  description:
    "contrast_prob = softmax(c)[contrastTarget] with c = contrastLogits ?? logits and contrastTarget = " +
    "contrastTargetId ?? targetId, a probability in [0, 1]; with `logprob: true`, log softmax(c)[contrastTarget] " +
    "in nats. With no contrast data it equals `probability`. When contrast logits are given the derivative " +
    "goes to gradContrastLogits and gradLogits is 0. Same as Inseq's `contrast_prob`.",
  unit: "probability",
  merge: "prod",
  differentiable: true,
  contrast: "either",
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("contrast_prob", input, "either");
    const kind = input.parameters?.logprob === true ? "logprob" : "probability";
    return evaluateScoreTerms(input, [{ kind, side: "contrast", weight: 1 }], withGradient);
  },
};
