import {
  type AttributeOptions,
  assertCapabilities,
  attribute,
  DEFAULT_METHOD,
  getMethod,
  type LanguageModel,
  type ModelInfo,
  parseParameters,
} from "@tokenscope/core";
import { registerBuiltins } from "../builtins.ts";
import { type AttributionOutput, type OutputPlatform, wrapResult } from "./attribution-output.ts";

/** The attribution method a loaded model uses by default, as Inseq's `load_model(model, method, **kwargs)`. */
export interface MethodChoice {
  /** Id of a registered method (default "saliency"); checked against the model's capabilities at load. */
  method?: string;
  /** Parameters of that method (Inseq's `load_model` keyword arguments), validated at load. */
  parameters?: Record<string, unknown>;
}

/** Options of {@link AttributionModel.attribute}: `attribute()`'s options; method and parameters override the loaded ones. */
export type ModelAttributeOptions = AttributeOptions;

/** A model with its default attribution method: what Inseq's `load_model` returns. */
export interface AttributionModel {
  /** The model behind core's interface, for every lower-level call. */
  readonly model: LanguageModel;
  readonly info: ModelInfo;
  /** The default method id and its validated parameters (defaults applied). */
  readonly method: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  /**
   * Attributes what the model generates for one prompt or several (or a forced `target`), as core's
   * `attribute()`. `method` in the options replaces the loaded method (with only the options'
   * `parameters`); otherwise the options' `parameters` are merged over the loaded ones.
   */
  attribute(input: string | string[], options?: ModelAttributeOptions): Promise<AttributionOutput>;
  /** Frees the model's sessions. */
  dispose(): Promise<void>;
}

/** Resolves a model reference; platform-specific (files and hub ids in Node). */
export type ModelResolver<LoaderOptions> = (
  reference: string,
  options: LoaderOptions,
) => Promise<LanguageModel>;

function isLanguageModel(value: unknown): value is LanguageModel {
  return (
    typeof value === "object" &&
    value !== null &&
    "info" in value &&
    "capabilities" in value &&
    typeof (value as LanguageModel).tokenize === "function"
  );
}

/**
 * The `load()` of every platform: register the built-ins, check the method and its parameters (before
 * any model is loaded: a typo must not cost a load), resolve the reference (or take a loaded model),
 * check the model has what the method needs, and return an {@link AttributionModel}.
 */
export async function loadAttributionModel<LoaderOptions extends object>(
  resolve: ModelResolver<LoaderOptions>,
  platform: OutputPlatform,
  reference: string | LanguageModel,
  options: MethodChoice & LoaderOptions,
): Promise<AttributionModel> {
  registerBuiltins();
  const { method: methodId = DEFAULT_METHOD, parameters, ...loaderOptions } = options;
  const method = getMethod(methodId);
  const defaults = parseParameters(method.parameters, parameters, method.id) as Record<string, unknown>;
  const owned = !isLanguageModel(reference);
  const model = owned ? await resolve(reference, loaderOptions as unknown as LoaderOptions) : reference;
  try {
    assertCapabilities(model, method.requires, `Method "${method.id}"`);
  } catch (error) {
    if (owned) await model.dispose?.();
    throw error;
  }
  return {
    model,
    info: model.info,
    method: method.id,
    parameters: defaults,
    async attribute(input, attributeOptions = {}) {
      const overridden = attributeOptions.method !== undefined && attributeOptions.method !== method.id;
      const result = await attribute(model, input, {
        ...attributeOptions,
        method: attributeOptions.method ?? method.id,
        parameters: overridden
          ? (attributeOptions.parameters ?? {})
          : { ...parameters, ...attributeOptions.parameters },
      });
      return wrapResult(result, platform);
    },
    async dispose() {
      await model.dispose?.();
    },
  };
}
