import type { AttributionMethod } from "@tokenscope/core";
import { methods as attentionMethods } from "@tokenscope/methods-attention";
import { methods as gradientMethods } from "@tokenscope/methods-gradient";
import { methods as perturbationMethods } from "@tokenscope/methods-perturbation";

/** Every built-in method of the tokenscope packages: gradient, perturbation, then attention methods. */
// biome-ignore lint/suspicious/noExplicitAny: a list of definitions with different parameter types
export const methods: AttributionMethod<any>[] = [
  ...gradientMethods,
  ...perturbationMethods,
  ...attentionMethods,
];
