import {
  type GradientObjective,
  getStepFunction,
  type StepFunctionOutput,
  TokenscopeError,
} from "@tokenscope/core";

/** The registered step function `id`, refused with NOT_DIFFERENTIABLE when it has no gradient. */
export function differentiableStepFunction(id: string) {
  const stepFunction = getStepFunction(id);
  if (!stepFunction.differentiable) {
    throw new TokenscopeError(
      "NOT_DIFFERENTIABLE",
      `The step function "${stepFunction.id}" has no gradient.`,
      {
        hint: "Attribute a differentiable step function such as probability or logprob.",
      },
    );
  }
  return stepFunction;
}

/**
 * Row `row`'s step-function objective on its logits, in float64: the value and, with `withGradient`,
 * the derivative with respect to the logits (the seed of a two-phase backward run). Shared by the
 * decoder-only and the encoder-decoder gradient runners.
 */
export function evaluateObjectiveRow(
  objective: Extract<GradientObjective, { kind: "stepFunction" }>,
  row: number,
  logits: ArrayLike<number>,
  withGradient: boolean,
): StepFunctionOutput<Float64Array> {
  return differentiableStepFunction(objective.stepFunction).evaluate(
    {
      logits: Float64Array.from(logits),
      targetId: objective.targetIds[row]!,
      ...(objective.contrastTargetIds ? { contrastTargetId: objective.contrastTargetIds[row]! } : {}),
      parameters: objective.parameters ?? {},
    },
    withGradient,
  );
}
