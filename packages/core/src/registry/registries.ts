import type { Aggregator } from "../aggregation/types.ts";
import type { AttributionMethod } from "../methods/types.ts";
import type { StepFunction } from "../step-functions/types.ts";
import { createRegistry, type RegisterOptions } from "./create-registry.ts";
import { aggregatorProblems, methodProblems, stepFunctionProblems } from "./definition-checks.ts";

// The registries are the only global mutable state in tokenscope: third parties
// register their methods, step functions and aggregators here at run time.
// biome-ignore lint/suspicious/noExplicitAny: registries hold definitions of any parameter type
type AnyMethod = AttributionMethod<any>;
// biome-ignore lint/suspicious/noExplicitAny: as above
type AnyStepFunction = StepFunction<any>;
// biome-ignore lint/suspicious/noExplicitAny: as above
type AnyAggregator = Aggregator<any>;

/** Every registered attribution method. */
export const methodRegistry = createRegistry<AnyMethod>("method", "tokenscope methods list", {
  validate: methodProblems,
  shape:
    "id, family, summary, description, requires (capabilities), supports { targetPrefix, contrastive, batching }, parameters (a Standard Schema such as a zod object) and run (a function)",
});
/** Every registered step function (step scores and attributed functions). */
export const stepFunctionRegistry = createRegistry<AnyStepFunction>(
  "step function",
  "tokenscope methods list",
  {
    validate: stepFunctionProblems,
    shape:
      "id, summary, description, unit, differentiable, parameters (a Standard Schema such as a zod object) and evaluate (a function)",
  },
);
/** Every registered aggregator. */
export const aggregatorRegistry = createRegistry<AnyAggregator>("aggregator", "tokenscope methods list", {
  validate: aggregatorProblems,
  shape:
    "id, kind, summary, description, parameters (a Standard Schema such as a zod object) and apply (a function)",
});

/** Registers an attribution method (refuses a duplicate id unless `overwrite`). */
export function registerMethod<P>(method: AttributionMethod<P>, options?: RegisterOptions): void {
  methodRegistry.register(method as AnyMethod, options);
}

/** Registers a step function (refuses a duplicate id unless `overwrite`). */
export function registerStepFunction<P>(stepFunction: StepFunction<P>, options?: RegisterOptions): void {
  stepFunctionRegistry.register(stepFunction as AnyStepFunction, options);
}

/** Registers an aggregator (refuses a duplicate id unless `overwrite`). */
export function registerAggregator<P>(aggregator: Aggregator<P>, options?: RegisterOptions): void {
  aggregatorRegistry.register(aggregator as AnyAggregator, options);
}

/** The method registered as `id`; throws `UNKNOWN_ID` otherwise. */
export function getMethod(id: string): AnyMethod {
  return methodRegistry.get(id);
}

/** The step function registered as `id`; throws `UNKNOWN_ID` otherwise. */
export function getStepFunction(id: string): AnyStepFunction {
  return stepFunctionRegistry.get(id);
}

/** The aggregator registered as `id`; throws `UNKNOWN_ID` otherwise. */
export function getAggregator(id: string): AnyAggregator {
  return aggregatorRegistry.get(id);
}

/** Every registered method, sorted by id. */
export function listMethods(): AnyMethod[] {
  return methodRegistry.list().sort((a, b) => a.id.localeCompare(b.id));
}

/** Every registered step function, sorted by id. */
export function listStepFunctions(): AnyStepFunction[] {
  return stepFunctionRegistry.list().sort((a, b) => a.id.localeCompare(b.id));
}

/** Every registered aggregator, sorted by id. */
export function listAggregators(): AnyAggregator[] {
  return aggregatorRegistry.list().sort((a, b) => a.id.localeCompare(b.id));
}
