/**
 * @packageDocumentation
 * tokenscope: explain generative language models. Re-exports every tokenscope
 * package; call {@link registerBuiltins} (or import `tokenscope/register`) to
 * register the built-in methods, step functions and aggregators.
 */
export * from "@tokenscope/core";
export { registerBuiltins } from "./builtins.ts";
