import { builtinAggregators } from "./aggregation/index.ts";
import { aggregatorRegistry, stepFunctionRegistry } from "./registry/index.ts";
import { builtinStepFunctions } from "./step-functions/index.ts";

/**
 * Registers core's built-in step functions and aggregators. Idempotent: an id
 * already registered is left as it is, so a user's own definition under a
 * built-in id survives.
 */
export function registerCoreBuiltins(): void {
  for (const stepFunction of builtinStepFunctions) {
    if (!stepFunctionRegistry.has(stepFunction.id)) stepFunctionRegistry.register(stepFunction);
  }
  for (const aggregator of builtinAggregators) {
    if (!aggregatorRegistry.has(aggregator.id)) aggregatorRegistry.register(aggregator);
  }
}
