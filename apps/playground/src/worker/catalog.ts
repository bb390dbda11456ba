import { methodRegistry, parameterJsonSchema, stepFunctionRegistry } from "tokenscope";
import type { MethodDescriptor, StepFunctionDescriptor } from "./protocol.ts";

/** Every registered method (built-ins and plugins), described for the page. */
export function describeMethods(): MethodDescriptor[] {
  return methodRegistry.list().map((method) => {
    const parametersSchema = parameterJsonSchema(method.parameters);
    return {
      id: method.id,
      family: String(method.family),
      summary: method.summary,
      requires: [...method.requires],
      supportsTargetPrefix: method.supports.targetPrefix,
      ...(parametersSchema ? { parametersSchema } : {}),
    };
  });
}

/** Every registered step function, described for the page. */
export function describeStepFunctions(): StepFunctionDescriptor[] {
  return stepFunctionRegistry.list().map((step) => ({
    id: step.id,
    summary: step.summary,
    differentiable: step.differentiable === true,
  }));
}
