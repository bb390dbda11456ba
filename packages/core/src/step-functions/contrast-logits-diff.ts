import { z } from "zod";
import { validateStepFunctionInput } from "./inputs.ts";
import { evaluateScoreTerms } from "./score-terms.ts";
import type { StepFunction } from "./types.ts";

const parameters = z.strictObject({});

/** `contrast_logits_diff`: logit(target) − logit(contrast target | contrast input) (Inseq's `contrast_logits_diff`). */
export const contrastLogitsDiff: StepFunction<z.output<typeof parameters>> = {
  id: "contrast_logits_diff",
  summary: "Logit of the target minus logit of the contrast target (contrastive attribution).",
  description:
    "contrast_logits_diff = logits[target] − c[contrastTarget] with c = contrastLogits ?? logits and " +
    "contrastTarget = contrastTargetId ?? targetId, in logit units. Positive when the target scores higher " +
    "than the contrast alternative; the target function of Yin and Neubig (2022). With no contrast data it " +
    "is 0. Same as Inseq's `contrast_logits_diff`.",
  unit: "logit",
  differentiable: true,
  contrast: "either",
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("contrast_logits_diff", input, "either");
    return evaluateScoreTerms(
      input,
      [
        { kind: "logit", side: "original", weight: 1 },
        { kind: "logit", side: "contrast", weight: -1 },
      ],
      withGradient,
    );
  },
};
