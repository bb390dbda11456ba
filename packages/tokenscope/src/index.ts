/**
 * @packageDocumentation
 * tokenscope: explain generative language models. The Node entry: re-exports every tokenscope package
 * (core, tensor-backends with both runtimes, models with its file and hub loaders, the gradient,
 * perturbation and attention methods, viz with its PNG and view-file writers)
 * and adds the Inseq-shaped front door:
 *
 * ```ts
 * import { load } from "tokenscope";
 * const model = await load("../shared/models/stories260K", { method: "integrated_gradients" });
 * const out = await model.attribute("Once upon a time", { generation: { maxNewTokens: 8 } });
 * out.show();
 * ```
 *
 * Importing registers nothing: `load()` registers the built-ins itself; otherwise call
 * {@link registerBuiltins} (or import `tokenscope/register`).
 */
import type { LanguageModel } from "@tokenscope/core";
import { type LoadModelOptions, loadModel } from "@tokenscope/models/node";
import type { AttributionModel, MethodChoice } from "./front-door/load.ts";
import { loadAttributionModel } from "./front-door/load.ts";
import { nodePlatform } from "./front-door/node-platform.ts";

export * from "@tokenscope/core/node";
export * from "@tokenscope/models/node";
export * from "@tokenscope/tensor-backends/node";
export * from "@tokenscope/viz/node";
export * from "./shared-exports.ts";

/** Options of {@link load}: the default method and its parameters, and how the model is loaded. */
export type LoadOptions = MethodChoice & LoadModelOptions;

/**
 * Loads a model with a default attribution method, as Inseq's `inseq.load_model(model, method,
 * **kwargs)`: `reference` is anything `loadModel` reads (a Hugging Face folder or hub id, a llama2.c
 * checkpoint or folder, a .gguf file, a transformers.js export) or an already loaded model.
 * The method and its parameters are checked before the model loads.
 * @throws TokenscopeError UNKNOWN_ID, INVALID_PARAMETERS, MODEL_LOAD_FAILED, MISSING_CAPABILITY.
 */
export function load(
  reference: string | LanguageModel,
  options: LoadOptions = {},
): Promise<AttributionModel> {
  return loadAttributionModel(loadModel, nodePlatform, reference, options);
}
