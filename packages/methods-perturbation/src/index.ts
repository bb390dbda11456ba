/**
 * @packageDocumentation
 * Forward-only attribution methods for tokenscope: occlusion, feature
 * ablation, LIME, exact and sampled Shapley values, KernelSHAP, ReAGent and
 * value zeroing. Each talks to a model only through core's `LanguageModel`
 * (`forward`; `embed` for embedding baselines; taps and value-zeroing
 * interventions for value zeroing). This entry point only exports: register
 * the methods explicitly, e.g. `for (const m of methods) registerMethod(m)`.
 */
import type { AttributionMethod } from "@tokenscope/core";
import { featureAblation } from "./feature-ablation.ts";
import { kernelShap } from "./kernel-shap.ts";
import { lime } from "./lime.ts";
import { occlusion } from "./occlusion.ts";
import { reagent } from "./reagent.ts";
import { shapleyValueSampling } from "./shapley-value-sampling.ts";
import { shapleyValues } from "./shapley-values.ts";
import { valueZeroing } from "./value-zeroing.ts";

export { type FeatureAblationParameters, featureAblation } from "./feature-ablation.ts";
export { type KernelShapParameters, kernelShap } from "./kernel-shap.ts";
export { type LimeParameters, lime } from "./lime.ts";
export { type OcclusionParameters, occlusion } from "./occlusion.ts";
export { type ReagentParameters, reagent } from "./reagent.ts";
export { type ShapleyValueSamplingParameters, shapleyValueSampling } from "./shapley-value-sampling.ts";
export { type ShapleyValuesParameters, shapleyValues } from "./shapley-values.ts";
export {
  checkForwardBudget,
  type RowShape as ForwardRowShape,
  rowBytes as forwardRowBytes,
  valueZeroingRowBytes,
} from "./shared/memory-budget.ts";
export { type ValueZeroingParameters, valueZeroing } from "./value-zeroing.ts";

/** Every method of this package, for explicit registration (`registerMethod` each). */
// biome-ignore lint/suspicious/noExplicitAny: a list of definitions with different parameter types
export const methods: AttributionMethod<any>[] = [
  occlusion,
  featureAblation,
  lime,
  shapleyValues,
  shapleyValueSampling,
  kernelShap,
  reagent,
  valueZeroing,
];
