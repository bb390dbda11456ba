import { methodRegistry, registerCoreBuiltins, registerMethod } from "@tokenscope/core";
import { methods as attentionMethods } from "@tokenscope/methods-attention";
import { methods as gradientMethods } from "@tokenscope/methods-gradient";
import { methods as perturbationMethods } from "@tokenscope/methods-perturbation";

/**
 * Registers every built-in method, step function and aggregator of the
 * tokenscope packages. Idempotent; ids you registered yourself are kept.
 */
export function registerBuiltins(): void {
  registerCoreBuiltins();
  for (const method of [...gradientMethods, ...perturbationMethods, ...attentionMethods]) {
    if (!methodRegistry.has(method.id)) registerMethod(method);
  }
}
