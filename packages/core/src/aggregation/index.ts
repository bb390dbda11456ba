import type { Aggregator } from "./types.ts";

export type { Aggregator } from "./types.ts";

/** Every built-in aggregator (registered by `registerCoreBuiltins`). */
// biome-ignore lint/suspicious/noExplicitAny: a list of definitions with different parameter types
export const builtinAggregators: Aggregator<any>[] = [];
