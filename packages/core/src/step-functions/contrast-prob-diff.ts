import { z } from "zod";
import { validateStepFunctionInput } from "./inputs.ts";
import { evaluateScoreTerms } from "./score-terms.ts";
import type { StepFunction } from "./types.ts";

const parameters = z.strictObject({
  logprob: z
    .boolean()
    .default(false)
    .describe("Subtract log-probabilities (nats) instead of probabilities, as Inseq's logprob=True."),
});

/** `contrast_prob_diff`: p(target) − p(contrast target | contrast input) (Inseq's `contrast_prob_diff`). */
export const contrastProbDiff: StepFunction<z.output<typeof parameters>> = {
  id: "contrast_prob_diff",
  summary: "Probability of the target minus probability of the contrast target (contrastive attribution).",
  description:
    "contrast_prob_diff = softmax(logits)[target] − softmax(c)[contrastTarget] with c = contrastLogits ?? " +
    "logits and contrastTarget = contrastTargetId ?? targetId, in probability units, in [−1, 1]. Positive " +
    "when the model prefers the target (in the original input) over the contrast alternative; attributing it " +
    'answers "why this token rather than that one" (Yin and Neubig, 2022). With `logprob: true` it is the ' +
    "difference of log-probabilities, in nats. With no contrast data it is 0. Same as Inseq's " +
    "`contrast_prob_diff`.",
  unit: "probability",
  merge: "prod",
  differentiable: true,
  contrast: "either",
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("contrast_prob_diff", input, "either");
    const kind = input.parameters?.logprob === true ? "logprob" : "probability";
    return evaluateScoreTerms(
      input,
      [
        { kind, side: "original", weight: 1 },
        { kind, side: "contrast", weight: -1 },
      ],
      withGradient,
    );
  },
};
