/**
 * @packageDocumentation
 * tokenscope's browser entry: everything of the Node entry that runs in a browser (core, the ONNX
 * toolkit and onnxruntime-web runtime, the models' graph builders, formats and tokenizers, every
 * method, viz) and the front door over a model you
 * built, e.g. with `createOnnxLanguageModel` on onnxruntime-web. Nothing here imports `node:`.
 */
import { type LanguageModel, TokenscopeError } from "@tokenscope/core";
import { browserPlatform } from "./front-door/browser-platform.ts";
import { type AttributionModel, loadAttributionModel, type MethodChoice } from "./front-door/load.ts";

export * from "@tokenscope/models";
export * from "@tokenscope/tensor-backends/web";
export * from "./shared-exports.ts";

/** Options of {@link load} in browsers: the default method and its parameters. */
export type LoadOptions = MethodChoice;

function noReferences(reference: string): Promise<LanguageModel> {
  return Promise.reject(
    new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `Cannot load "${reference}" by reference in a browser: there is no file system here.`,
      {
        hint: "Build the model from its bytes (createOnnxLanguageModel with weights and a tokenizer) and pass it to load().",
        details: { reference },
      },
    ),
  );
}

/**
 * Wraps a model with a default attribution method, as Inseq's `inseq.load_model(model, method,
 * **kwargs)`. In browsers, pass a loaded model; a string reference is a MODEL_LOAD_FAILED error.
 * @throws TokenscopeError UNKNOWN_ID, INVALID_PARAMETERS, MODEL_LOAD_FAILED, MISSING_CAPABILITY.
 */
export function load(
  reference: string | LanguageModel,
  options: LoadOptions = {},
): Promise<AttributionModel> {
  return loadAttributionModel(noReferences, browserPlatform, reference, options);
}
