import { z } from "zod";
import { contextInformationTerms } from "./in-context-pvi.ts";
import { validateStepFunctionInput } from "./inputs.ts";
import { evaluateScoreTerms } from "./score-terms.ts";
import type { StepFunction } from "./types.ts";

const parameters = z.strictObject({});

/** `pcxmi`: point-wise conditional cross-mutual information (Yin et al. 2021), bits (Inseq's `pcxmi`). */
export const pcxmi: StepFunction<z.output<typeof parameters>> = {
  id: "pcxmi",
  summary: "P-CXMI of the target between the original and the contrastive input, in bits.",
  description:
    "pcxmi = −log2( p(target | logits) / p(contrastTarget | contrastLogits) ) = log2 p(contrastTarget | " +
    "contrastLogits) − log2 p(target | logits), base 2, in bits, as Inseq defines it (contrastTarget = " +
    "contrastTargetId ?? targetId). Sign: positive when the contrastive input makes the target more likely " +
    "than the original input does, negative when less likely. It is P-CXMI of Yin et al. (2021), " +
    "log2 q(y | x, C) − log2 q(y | x), when contrastLogits come from the input with the context C and logits " +
    "from the input without it; with the roles swapped it is its negative. Equals in_context_pvi / ln 2. " +
    "Computed from log-probabilities, so it stays finite when a probability underflows. Needs contrastLogits.",
  unit: "bits",
  merge: "sum",
  differentiable: true,
  contrast: "input",
  parameters,
  evaluate(input, withGradient) {
    validateStepFunctionInput("pcxmi", input, "input");
    return evaluateScoreTerms(input, contextInformationTerms, withGradient, Math.LN2);
  },
};
