/**
 * @packageDocumentation
 * tokenscope core: the model and method interfaces, registries, step
 * functions, the result data model, aggregation, serialization and typed
 * errors. Knows nothing about ONNX. This entry point only exports.
 */
export * from "./aggregation/index.ts";
export * from "./attribute/index.ts";
export * from "./context/index.ts";
export * from "./errors/index.ts";
export * from "./export/index.ts";
export { gitLfsPointerSize, isGitLfsPointer } from "./files/lfs-pointer.ts";
export * from "./limits/index.ts";
export * from "./methods/index.ts";
export * from "./model/index.ts";
export type { AbortOptions, ProgressCallback, ProgressEvent } from "./progress.ts";
export { seededNormal, seededUniform } from "./random/seeded-random.ts";
export { registerCoreBuiltins } from "./register-core-builtins.ts";
export * from "./registry/index.ts";
export * from "./result/index.ts";
export * from "./schema/index.ts";
export * from "./serialization/index.ts";
export * from "./step-functions/index.ts";
export * from "./text/index.ts";
export { TOOL_VERSION } from "./version.ts";
