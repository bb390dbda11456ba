import type { MethodDescriptor } from "../worker/protocol.ts";

/**
 * The methods a model can run: those whose every required capability the model declares (the
 * check core's `assertCapabilities` makes before a run). Without a model, every method.
 */
export function availableMethods(
  methods: readonly MethodDescriptor[],
  capabilities: readonly string[] | undefined,
): MethodDescriptor[] {
  if (!capabilities) return [...methods];
  const has = new Set(capabilities);
  return methods.filter((method) => method.requires.every((capability) => has.has(capability)));
}
