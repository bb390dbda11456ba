import { z } from "zod";
import { TokenscopeError } from "../errors/index.ts";
import { validateStepFunctionInput } from "./inputs.ts";
import { topPSetSize } from "./token-filtering.ts";
import type { StepFunction } from "./types.ts";

const DEFAULT_TOP_P = 0.9;

const parameters = z.strictObject({
  top_p: z
    .number()
    .gt(0)
    .max(1)
    .default(DEFAULT_TOP_P)
    .describe("Cumulative probability the counted set must reach (default 0.9)."),
});

/** `top_p_size`: how many tokens the top-p (nucleus) set holds (Inseq's `top_p_size`); value only. */
export const topPSize: StepFunction<z.output<typeof parameters>> = {
  id: "top_p_size",
  summary: "Number of tokens in the top-p (nucleus) set of the next-token distribution.",
  description:
    "top_p_size = the size of the smallest set of most probable tokens of softmax(logits) whose cumulative " +
    `probability reaches top_p (at least 1), in tokens. \`top_p\` defaults to ${DEFAULT_TOP_P} here; Inseq ` +
    "has no default. A measure of the model's uncertainty: 1 when one token holds top_p of the mass, up to " +
    "the vocabulary size. It does not depend on the target. Piecewise constant in the logits, hence value " +
    "only: it can be a step score but not an attributed function. Same as Inseq's `top_p_size`.",
  unit: "tokens",
  differentiable: false,
  parameters,
  evaluate(input, withGradient) {
    if (withGradient) {
      throw new TokenscopeError(
        "NOT_DIFFERENTIABLE",
        "top_p_size is value-only (a count of tokens, piecewise constant in the logits), so it has no gradient.",
        {
          hint: "Use it as a step score, and attribute another step function such as probability, logprob or entropy.",
          details: { stepFunction: "top_p_size" },
        },
      );
    }
    validateStepFunctionInput("top_p_size", input, undefined);
    return { value: topPSetSize(input.logits, input.parameters?.top_p ?? DEFAULT_TOP_P) };
  },
};
