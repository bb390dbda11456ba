import { z } from "zod";
import { validateStepFunctionInput } from "./inputs.ts";
import { evaluateScoreTerms } from "./score-terms.ts";
import type { StepFunction } from "./types.ts";

const parameters = z.strictObject({});

/** `logprob`: log-probability of the target token in nats. */
export const logprob: StepFunction<z.output<typeof parameters>> = {
  id: "logprob",
  summary: "The log-probability (nats) the model gives the target token.",
  description:
    "logprob = log softmax(logits)[target] = logits[target] − logsumexp(logits), natural log, in nats (≤ 0; " +
    "closer to 0 means more confident). Computed directly in log space, so it stays finite even when the " +
    "probability underflows to 0. Inseq spells this `probability` with logprob=True; it has its own id here, " +
    "and equals −crossentropy exactly.",
  unit: "nats",
  merge: "sum",
  differentiable: true,
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("logprob", input, undefined);
    return evaluateScoreTerms(input, [{ kind: "logprob", side: "original", weight: 1 }], withGradient);
  },
};
