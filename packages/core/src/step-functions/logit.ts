import { z } from "zod";
import { validateStepFunctionInput } from "./inputs.ts";
import { evaluateScoreTerms } from "./score-terms.ts";
import type { StepFunction } from "./types.ts";

const parameters = z.strictObject({});

/** `logit`: the raw logit of the target token (Inseq's `logit`). */
export const logit: StepFunction<z.output<typeof parameters>> = {
  id: "logit",
  summary: "The logit (pre-softmax score) of the target token.",
  description:
    "logit = logits[target]: the unnormalised score the model gives the target token at this step, in logit " +
    "units. Higher means the target is more favoured, but logits are shift-invariant across the vocabulary, " +
    "so compare them only within one step. Derivative: 1 at the target, 0 elsewhere. Same as Inseq's `logit`.",
  unit: "logit",
  differentiable: true,
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("logit", input, undefined);
    return evaluateScoreTerms(input, [{ kind: "logit", side: "original", weight: 1 }], withGradient);
  },
};
