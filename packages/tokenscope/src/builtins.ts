import { methodRegistry, registerCoreBuiltins, registerMethod } from "@tokenscope/core";
import { methods } from "./methods.ts";

/**
 * Registers every built-in method, step function and aggregator of the
 * tokenscope packages. Idempotent; ids you registered yourself are kept.
 */
export function registerBuiltins(): void {
  registerCoreBuiltins();
  for (const method of methods) {
    if (!methodRegistry.has(method.id)) registerMethod(method);
  }
}
