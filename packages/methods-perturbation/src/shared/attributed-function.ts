import {
  builtinStepFunctions,
  evaluateStepFunction,
  getStepFunction,
  type LogitVector,
  type MethodContext,
  parseParameters,
  type StepFunction,
  stepFunctionRegistry,
} from "@tokenscope/core";

/** The attributed function of a run, ready to evaluate on one step's logits. */
export type AttributedFunction = (logits: LogitVector, targetId: number, contrastTargetId?: number) => number;

/**
 * Resolves the context's attributed function: the registered step function of
 * that id, or core's built-in one when nothing is registered under it (so a
 * method runs without `registerCoreBuiltins`); `UNKNOWN_ID` otherwise. Its
 * parameters are parsed once, here, with the function's schema.
 */
export function attributedFunctionOf(context: Pick<MethodContext<unknown>, "attributedFunction">): {
  id: string;
  evaluate: AttributedFunction;
} {
  const { id, parameters: rawParameters } = context.attributedFunction;
  // biome-ignore lint/suspicious/noExplicitAny: step functions of any parameter type
  const stepFunction: StepFunction<any> = stepFunctionRegistry.has(id)
    ? getStepFunction(id)
    : (builtinStepFunctions.find((candidate) => candidate.id === id) ?? getStepFunction(id));
  const parameters = parseParameters(stepFunction.parameters, rawParameters, stepFunction.id);
  return {
    id,
    evaluate: (logits, targetId, contrastTargetId) =>
      evaluateStepFunction(
        stepFunction,
        { logits, targetId, parameters, ...(contrastTargetId === undefined ? {} : { contrastTargetId }) },
        { withGradient: false },
      ).value,
  };
}
