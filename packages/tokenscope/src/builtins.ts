import { registerCoreBuiltins } from "@tokenscope/core";

/**
 * Registers every built-in method, step function and aggregator of the
 * tokenscope packages. Idempotent; ids you registered yourself are kept.
 */
export function registerBuiltins(): void {
  registerCoreBuiltins();
}
