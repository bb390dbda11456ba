import { z } from "zod";
import { validateStepFunctionInput } from "./inputs.ts";
import { evaluateScoreTerms } from "./score-terms.ts";
import type { StepFunction } from "./types.ts";

const parameters = z.strictObject({});

/** `contrast_logits`: logit of the contrast target under the contrast logits (Inseq's `contrast_logits`). */
export const contrastLogits: StepFunction<z.output<typeof parameters>> = {
  id: "contrast_logits",
  summary: "The logit of the contrast target given the contrastive input.",
  description:
    "contrast_logits = c[contrastTarget] with c = contrastLogits ?? logits and contrastTarget = " +
    "contrastTargetId ?? targetId, in logit units. Give contrast logits (a contrastive input), a contrast " +
    "target, or both; with neither it equals `logit`. When contrast logits are given the value does not " +
    "depend on the original logits (their gradient is 0) and the derivative goes to gradContrastLogits. " +
    "Same as Inseq's `contrast_logits`.",
  unit: "logit",
  differentiable: true,
  contrast: "either",
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("contrast_logits", input, "either");
    return evaluateScoreTerms(input, [{ kind: "logit", side: "contrast", weight: 1 }], withGradient);
  },
};
