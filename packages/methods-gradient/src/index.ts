/**
 * @packageDocumentation
 * Gradient attribution methods for tokenscope. Each method is a plain
 * definition; register them explicitly: `for (const m of methods) registerMethod(m)`.
 */
import type { AttributionMethod } from "@tokenscope/core";
import { gradientShap } from "./gradient-shap.ts";
import { inputXGradient } from "./input-x-gradient.ts";
import { integratedGradients } from "./integrated-gradients.ts";
import { layerGradientXActivation } from "./layer-gradient-x-activation.ts";
import { layerIntegratedGradients } from "./layer-integrated-gradients.ts";
import { saliency } from "./saliency.ts";
import { sequentialIntegratedGradients } from "./sequential-integrated-gradients.ts";
import { smoothGrad } from "./smooth-grad.ts";

export type { BaselineChoice } from "./baseline.ts";
export {
  checkGradientBudget,
  DEFAULT_MEMORY_BUDGET_BYTES,
  estimateRecomputeRowBytes,
  estimateRowBytes,
  type GradientCallPlan,
  gradientCallPlan,
  gradientRowsPerCall,
} from "./batch-budget.ts";
export { type GradientShapParameters, gradientShap } from "./gradient-shap.ts";
export { type InputXGradientParameters, inputXGradient } from "./input-x-gradient.ts";
export { type IntegratedGradientsParameters, integratedGradients } from "./integrated-gradients.ts";
export {
  type LayerGradientXActivationParameters,
  layerGradientXActivation,
} from "./layer-gradient-x-activation.ts";
export {
  type LayerIntegratedGradientsParameters,
  layerIntegratedGradients,
} from "./layer-integrated-gradients.ts";
export {
  gaussLegendre,
  type IntegrationMethod,
  integrationMethods,
  type Quadrature,
  quadrature,
} from "./quadrature.ts";
export { type SaliencyParameters, saliency } from "./saliency.ts";
export {
  type SequentialIntegratedGradientsParameters,
  sequentialIntegratedGradients,
} from "./sequential-integrated-gradients.ts";
export { type SmoothGradParameters, smoothGrad } from "./smooth-grad.ts";

/** Every method of this package, for explicit registration. */
// biome-ignore lint/suspicious/noExplicitAny: a list of definitions with different parameter types
export const methods: AttributionMethod<any>[] = [
  saliency,
  inputXGradient,
  integratedGradients,
  gradientShap,
  smoothGrad,
  layerGradientXActivation,
  sequentialIntegratedGradients,
  layerIntegratedGradients,
];
