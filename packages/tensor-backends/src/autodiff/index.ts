/**
 * Reverse-mode autodiff over ONNX graphs: `buildGradientGraph` turns a model into one graph computing
 * the forward pass and vector-Jacobian products with standard ONNX operators; `rewriteContribOps`
 * first turns ONNX Runtime contrib operators into standard ones.
 */
export { buildGradientGraph, gradName } from "./build-gradient-graph.ts";
export { hasConstantOutputs } from "./non-differentiable.ts";
export type { RuleRegistry, RuleRegistryOptions } from "./registry.ts";
export { createRuleRegistry, defaultRuleRegistry, hasGradientRule } from "./registry.ts";
export { contribRewrites, rewriteContribOps } from "./rewrites/index.ts";
export type { ContribRewrite, RewriteContext } from "./rewrites/types.ts";
export { gradientRules } from "./rules/index.ts";
export type {
  AttributeReader,
  GradientGraphOptions,
  GradientRule,
  RecomputeSegment,
  RuleNeeds,
  TensorInfo,
  VjpContext,
  ZeroPadded,
} from "./types.ts";
