import { z } from "zod";
import { validateStepFunctionInput } from "./inputs.ts";
import { evaluateScoreTerms, type ScoreTerm } from "./score-terms.ts";
import type { StepFunction } from "./types.ts";

const parameters = z.strictObject({});

/** −log p(target | input) + log p(contrast target | contrastive input): shared by in_context_pvi and pcxmi. */
export const contextInformationTerms: readonly ScoreTerm[] = [
  { kind: "logprob", side: "original", weight: -1 },
  { kind: "logprob", side: "contrast", weight: 1 },
];

/** `in_context_pvi`: in-context pointwise V-usable information (Lu et al. 2023), nats (Inseq's `in_context_pvi`). */
export const inContextPvi: StepFunction<z.output<typeof parameters>> = {
  id: "in_context_pvi",
  summary: "In-context pointwise V-usable information of the context for the target, in nats.",
  description:
    "in_context_pvi = −log p(target | logits) + log p(contrastTarget | contrastLogits), natural log, in nats, " +
    "as Inseq defines it (contrastTarget = contrastTargetId ?? targetId). Sign: positive when the contrastive " +
    "input makes the target more likely than the original input does. It is the in-context PVI of Lu et al. " +
    "(2023), −log g[∅](y) + log g[x](y), when contrastLogits come from the input with the in-context example " +
    "and logits from the input without it (the paper uses bits; this uses nats). Equals pcxmi × ln 2. Needs " +
    "contrastLogits.",
  unit: "nats",
  differentiable: true,
  contrast: "input",
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("in_context_pvi", input, "input");
    return evaluateScoreTerms(input, contextInformationTerms, withGradient);
  },
};
