import { z } from "zod";
import { validateStepFunctionInput } from "./inputs.ts";
import { evaluateScoreTerms } from "./score-terms.ts";
import type { StepFunction } from "./types.ts";

const parameters = z.strictObject({});

/** `crossentropy`: −log p(target), nats (Inseq's `crossentropy`). */
export const crossentropy: StepFunction<z.output<typeof parameters>> = {
  id: "crossentropy",
  summary: "Cross-entropy of the target token: −log p(target), in nats.",
  description:
    "crossentropy = −log softmax(logits)[target], natural log, in nats (≥ 0; 0 when the model is certain of " +
    "the target, larger when the target surprises it). Exactly −logprob. Same as Inseq's `crossentropy` " +
    "(torch cross_entropy, natural log).",
  unit: "nats",
  merge: "sum",
  differentiable: true,
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("crossentropy", input, undefined);
    return evaluateScoreTerms(input, [{ kind: "logprob", side: "original", weight: -1 }], withGradient);
  },
};
