import { TokenscopeError } from "../errors/index.ts";
import { parseParameters } from "../schema/parameters.ts";
import { validateStepFunctionInput } from "./inputs.ts";
import type { LogitVector, StepFunction, StepFunctionInput, StepFunctionOutput } from "./types.ts";

/** A step's input as callers have it: parameters raw (validated and defaulted here), possibly absent. */
export type RawStepFunctionInput<L extends LogitVector = LogitVector> = Omit<
  StepFunctionInput<unknown, L>,
  "parameters"
> & { parameters?: unknown };

/** Options of {@link evaluateStepFunction}. */
export interface EvaluateStepFunctionOptions {
  /** Also compute the derivative(s) with respect to the logits (and contrast logits). */
  withGradient: boolean;
}

function checkGradient(stepFunctionId: string, name: string, gradient: unknown, like: LogitVector): void {
  const sameType =
    (like instanceof Float32Array && gradient instanceof Float32Array) ||
    (like instanceof Float64Array && gradient instanceof Float64Array);
  if (!sameType || (gradient as LogitVector).length !== like.length) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Step function "${stepFunctionId}" returned no valid ${name}: it must be a ${like.constructor.name} of length ${like.length}.`,
      {
        hint: "A differentiable step function asked for a gradient must return it with the same array type and length as the logits it differentiates.",
        details: { stepFunction: stepFunctionId, gradient: name },
      },
    );
  }
}

/**
 * Evaluates any step function (built-in or user-defined) on one step, doing
 * the checks every caller would otherwise repeat: parses `parameters` with the
 * function's schema (defaults applied; `INVALID_PARAMETERS` on a mismatch),
 * validates logits, token ids and the contrast data the function needs
 * (`INVALID_INPUT`), refuses a gradient from a value-only function
 * (`NOT_DIFFERENTIABLE`), and checks that the gradients it returns have the
 * logits' array type and length.
 */
export function evaluateStepFunction<P, L extends LogitVector>(
  stepFunction: StepFunction<P>,
  input: RawStepFunctionInput<L>,
  options: EvaluateStepFunctionOptions,
): StepFunctionOutput<L> {
  const { id } = stepFunction;
  const parameters = parseParameters(stepFunction.parameters, input.parameters, id);
  validateStepFunctionInput(id, { ...input, parameters }, stepFunction.contrast);
  if (options.withGradient && !stepFunction.differentiable) {
    throw new TokenscopeError(
      "NOT_DIFFERENTIABLE",
      `Step function "${id}" is value-only, so it cannot be differentiated or attributed.`,
      {
        hint: "Use it as a step score, and attribute a differentiable step function such as probability, logprob or entropy.",
        details: { stepFunction: id },
      },
    );
  }
  const output = stepFunction.evaluate({ ...input, parameters }, options.withGradient);
  if (options.withGradient) {
    checkGradient(id, "gradLogits", output.gradLogits, input.logits);
    if (output.gradContrastLogits !== undefined && input.contrastLogits !== undefined) {
      checkGradient(id, "gradContrastLogits", output.gradContrastLogits, input.contrastLogits);
    }
  }
  return output;
}
