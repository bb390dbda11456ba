/*
 * What the Node and browser entries both re-export. Each package's own `methods` list is reached
 * through the umbrella's `methods` (every built-in) or the package itself.
 */
export * from "@tokenscope/core";
export * from "@tokenscope/methods-attention";
export * from "@tokenscope/methods-gradient";
export * from "@tokenscope/methods-perturbation";
export * from "@tokenscope/viz";
export { registerBuiltins } from "./builtins.ts";
export type {
  AttributionOutput,
  OutputSaveOptions,
  ShowOptions,
} from "./front-door/attribution-output.ts";
export type {
  AttributionModel,
  MethodChoice,
  ModelAttributeOptions,
} from "./front-door/load.ts";
export { methods } from "./methods.ts";
