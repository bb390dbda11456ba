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

/**
 * The contrast side of one evaluation: the contrast token and, when the contrast input is not the
 * row's own input, the logits computed from it (the correspondingly perturbed contrast input).
 */
export interface ContrastValue {
  targetId: number;
  logits?: LogitVector;
}

/** The attributed function of a run, ready to evaluate on one step's logits. */
export type AttributedFunction = (logits: LogitVector, targetId: number, contrast?: ContrastValue) => number;

/** The resolved attributed function of a run. */
export interface ResolvedAttributedFunction {
  id: string;
  evaluate: AttributedFunction;
  /**
   * Whether the function reads logits of a contrast input ("input" or "either" contrastive step
   * functions): only then are contrast rows sent to the model.
   */
  readsContrastLogits: boolean;
}

/**
 * Resolves the context's attributed function: the registered step function of
 * that id, or core's built-in one when nothing is registered under it (so a
 * method runs without `registerCoreBuiltins`); `UNKNOWN_ID` otherwise. Its
 * parameters are parsed once, here, with the function's schema.
 */
export function attributedFunctionOf(
  context: Pick<MethodContext<unknown>, "attributedFunction">,
): ResolvedAttributedFunction {
  const { id, parameters: rawParameters } = context.attributedFunction;
  // biome-ignore lint/suspicious/noExplicitAny: step functions of any parameter type
  const stepFunction: StepFunction<any> = stepFunctionRegistry.has(id)
    ? getStepFunction(id)
    : (builtinStepFunctions.find((candidate) => candidate.id === id) ?? getStepFunction(id));
  const parameters = parseParameters(stepFunction.parameters, rawParameters, stepFunction.id);
  // A function that must have contrast logits ("input") gets the row's own logits when the contrast
  // input is the row's own input; an "either" function reads them by itself when none are given.
  const ownLogitsAsContrast = stepFunction.contrast === "input";
  return {
    id,
    readsContrastLogits: stepFunction.contrast === "input" || stepFunction.contrast === "either",
    evaluate: (logits, targetId, contrast) => {
      const contrastLogits = contrast?.logits ?? (contrast && ownLogitsAsContrast ? logits : undefined);
      return evaluateStepFunction(
        stepFunction,
        {
          logits,
          targetId,
          parameters,
          ...(contrast === undefined ? {} : { contrastTargetId: contrast.targetId }),
          ...(contrastLogits === undefined ? {} : { contrastLogits }),
        },
        { withGradient: false },
      ).value;
    },
  };
}
