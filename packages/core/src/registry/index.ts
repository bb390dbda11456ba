export {
  type CreateRegistryOptions,
  createRegistry,
  type RegisterOptions,
  type Registry,
} from "./create-registry.ts";
export { type ExplainedKind, type Explanation, explain } from "./explain.ts";
export {
  aggregatorRegistry,
  getAggregator,
  getMethod,
  getStepFunction,
  listAggregators,
  listMethods,
  listStepFunctions,
  methodRegistry,
  registerAggregator,
  registerMethod,
  registerStepFunction,
  stepFunctionRegistry,
} from "./registries.ts";
