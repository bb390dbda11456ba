import type { StepFunction } from "./types.ts";

export type { LogitVector, StepFunction, StepFunctionInput, StepFunctionOutput } from "./types.ts";

/** Every built-in step function (registered by `registerCoreBuiltins`). */
// biome-ignore lint/suspicious/noExplicitAny: a list of definitions with different parameter types
export const builtinStepFunctions: StepFunction<any>[] = [];
