import { quoteForMessage, type SpecialTokenIds, TokenscopeError } from "@tokenscope/core";
import { type ConfigFieldNames, checkDecoderConfigBounds } from "../formats/config-bounds.ts";
import type { DecoderActivation, DecoderConfig, RopeScaling } from "../weights/types.ts";
import { validateDecoderConfig } from "../weights/validate.ts";

/**
 * Hugging Face `model_type` values that {@link decoderConfigFromHf} maps (and gemma3, a multimodal
 * Gemma 3 config, read as its gemma3_text `text_config`).
 */
export const supportedHfModelTypes: readonly string[] = [
  "llama",
  "mistral",
  "qwen2",
  "qwen3",
  "gemma",
  "gemma2",
  "gemma3_text",
  "phi3",
  "gpt2",
  "gpt_neox",
  "opt",
];

type Json = Record<string, unknown>;

/** Reads typed fields of one config.json, failing with the field named. */
interface FieldReader {
  number(key: string): number | undefined;
  integer(key: string): number | undefined;
  /** A positive integer (a size, a count), when present. */
  size(key: string): number | undefined;
  /** The first present of `keys`, a positive integer. */
  requiredSize(...keys: string[]): number;
  boolean(key: string): boolean | undefined;
  string(key: string): string | undefined;
  object(key: string): Json | undefined;
  fail(what: string): never;
}

function fieldReader(json: Json, source: string): FieldReader {
  const fail = (what: string): never => {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
      hint: "The config.json is damaged or was not written by Hugging Face transformers; compare it with the model's original.",
      details: { source },
    });
  };
  // null is how transformers writes "unset" (rope_scaling: null, sliding_window: null).
  const present = (key: string) => json[key] !== undefined && json[key] !== null;
  const reader: FieldReader = {
    fail,
    number(key) {
      if (!present(key)) return undefined;
      const value = json[key];
      if (typeof value !== "number" || !Number.isFinite(value))
        fail(`${key} must be a number, got ${quoteForMessage(value)}`);
      return value as number;
    },
    integer(key) {
      const value = reader.number(key);
      if (value !== undefined && !Number.isSafeInteger(value))
        fail(`${key} must be an integer, got ${value}`);
      return value;
    },
    size(key) {
      const value = reader.integer(key);
      if (value !== undefined && value <= 0) fail(`${key} must be a positive integer, got ${value}`);
      return value;
    },
    requiredSize(...keys) {
      for (const key of keys) {
        const value = reader.size(key);
        if (value !== undefined) return value;
      }
      return fail(`${keys.join(" or ")} is missing`);
    },
    boolean(key) {
      if (!present(key)) return undefined;
      if (typeof json[key] !== "boolean")
        fail(`${key} must be true or false, got ${quoteForMessage(json[key])}`);
      return json[key] as boolean;
    },
    string(key) {
      if (!present(key)) return undefined;
      if (typeof json[key] !== "string") fail(`${key} must be a string, got ${quoteForMessage(json[key])}`);
      return json[key] as string;
    },
    object(key) {
      if (!present(key)) return undefined;
      const value = json[key];
      if (typeof value !== "object" || Array.isArray(value)) fail(`${key} must be an object`);
      return value as Json;
    },
  };
  return reader;
}

function unsupported(source: string, what: string, hint: string): never {
  throw new TokenscopeError("UNSUPPORTED_ARCHITECTURE", `${source}: ${what}.`, { hint, details: { source } });
}

/** Hugging Face `hidden_act` / `activation_function` names → the nonlinearities the graphs build. */
const activations: Readonly<Record<string, DecoderActivation>> = {
  silu: "silu",
  swish: "silu",
  gelu: "gelu",
  // gelu_new, gelu_pytorch_tanh and gelu_fast are one function (the tanh approximation) written three ways.
  gelu_new: "gelu_tanh",
  gelu_pytorch_tanh: "gelu_tanh",
  gelu_fast: "gelu_tanh",
  relu: "relu",
};

function activationOf(name: string, source: string, key = "activation"): DecoderActivation {
  const activation = Object.hasOwn(activations, name) ? activations[name] : undefined;
  if (activation === undefined) {
    unsupported(
      source,
      `${key} ${quoteForMessage(name)} is not supported`,
      `Supported: ${Object.keys(activations).join(", ")}.`,
    );
  }
  return activation;
}

/**
 * Rotary settings. transformers 5 moved `rope_theta` and `rope_scaling` into one `rope_parameters`
 * object; older configs (and GPT-NeoX's `rotary_emb_base`) are read too.
 */
function rotarySettings(read: FieldReader, source: string): { ropeTheta: number; ropeScaling?: RopeScaling } {
  const parameters = read.object("rope_parameters");
  const theta =
    read.number("rope_theta") ??
    (parameters ? fieldReader(parameters, `${source} rope_parameters`).number("rope_theta") : undefined) ??
    read.number("rotary_emb_base") ??
    10000;
  const scaling = read.object("rope_scaling") ?? parameters;
  if (!scaling) return { ropeTheta: theta };
  const scale = fieldReader(scaling, `${source} rope_scaling`);
  const type = scale.string("rope_type") ?? scale.string("type") ?? "default";
  switch (type) {
    case "default":
      return { ropeTheta: theta };
    case "linear":
      return { ropeTheta: theta, ropeScaling: { type: "linear", factor: scale.number("factor") ?? 1 } };
    case "llama3":
      return {
        ropeTheta: theta,
        ropeScaling: {
          type: "llama3",
          factor: scale.number("factor") ?? scale.fail("factor is missing"),
          lowFreqFactor: scale.number("low_freq_factor") ?? scale.fail("low_freq_factor is missing"),
          highFreqFactor: scale.number("high_freq_factor") ?? scale.fail("high_freq_factor is missing"),
          originalMaxPositionEmbeddings:
            scale.integer("original_max_position_embeddings") ??
            scale.fail("original_max_position_embeddings is missing"),
        },
      };
    default:
      return unsupported(
        source,
        `rope_scaling type ${quoteForMessage(type)} is not supported`,
        "Supported rope_scaling types: default, linear, llama3 (YaRN, dynamic and LongRoPE are not built).",
      );
  }
}

/** The first id of a `bos_token_id` / `eos_token_id` field (an id, a list of ids or null). */
function firstId(value: unknown): number | undefined {
  const ids = tokenIdList(value);
  return ids[0];
}

function tokenIdList(value: unknown): number[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((id): id is number => Number.isSafeInteger(id) && (id as number) >= 0);
}

function tokenIds(json: Json): Pick<DecoderConfig, "bosTokenId" | "eosTokenId"> {
  const bos = firstId(json["bos_token_id"]);
  const eos = firstId(json["eos_token_id"]);
  return {
    ...(bos !== undefined ? { bosTokenId: bos } : {}),
    ...(eos !== undefined ? { eosTokenId: eos } : {}),
  };
}

/** The size of one head, hidden / heads, which must be whole (the config names both fields). */
function headSize(
  read: FieldReader,
  hiddenKey: string,
  hidden: number,
  headsKey: string,
  heads: number,
): number {
  if (hidden % heads !== 0) {
    read.fail(
      `${hiddenKey} ${hidden} is not a multiple of ${headsKey} ${heads}: the heads would have no whole size`,
    );
  }
  return hidden / heads;
}

/** How each family's config.json names the sizes, for messages about them. */
const llamaFieldNames: ConfigFieldNames = {
  numLayers: "num_hidden_layers",
  hiddenSize: "hidden_size",
  intermediateSize: "intermediate_size",
  numHeads: "num_attention_heads",
  numKeyValueHeads: "num_key_value_heads",
  headDim: "head_dim",
  vocabSize: "vocab_size",
};
const fieldNames: Readonly<Record<string, ConfigFieldNames>> = {
  gpt2: {
    numLayers: "n_layer",
    hiddenSize: "n_embd",
    intermediateSize: "n_inner",
    numHeads: "n_head",
    numKeyValueHeads: "n_head",
    headDim: "n_embd / n_head",
    vocabSize: "vocab_size",
  },
  opt: {
    ...llamaFieldNames,
    intermediateSize: "ffn_dim",
    numKeyValueHeads: "num_attention_heads",
    headDim: "hidden_size / num_attention_heads",
  },
  gpt_neox: {
    ...llamaFieldNames,
    numKeyValueHeads: "num_attention_heads",
    headDim: "hidden_size / num_attention_heads",
  },
};

/**
 * A Gemma 2 field that transformers defaults when absent and that `null` turns off
 * (`attn_logit_softcapping`, `final_logit_softcapping`, `sliding_window`).
 */
function defaultedOrOff(json: Json, read: FieldReader, key: string, fallback: number): number | undefined {
  if (json[key] === null) return undefined;
  return read.number(key) ?? fallback;
}

/**
 * What Gemma and Gemma 2 read beyond the Llama fields, with `Gemma2Config`'s defaults. Gemma's
 * nonlinearity is `hidden_activation` (default gelu_pytorch_tanh); transformers ignores
 * `hidden_act`, which old Gemma configs set to "gelu". Gemma 2 windows its even layers; a
 * `layer_types` list (transformers ≥ 4.53) must say the same.
 */
/**
 * What Gemma 3's text model (`Gemma3TextConfig`, model_type gemma3_text) reads beyond the Llama
 * fields, with its defaults: a window (4096) on all layers but every `sliding_window_pattern`-th (6;
 * or the period of `layer_types`, which must repeat), local layers rotating with
 * `rope_local_base_freq` (10000) unscaled, global ones with `rope_theta` (1e6) and `rope_scaling`
 * (transformers 5: `rope_parameters.full_attention` / `.sliding_attention`), `query_pre_attn_scalar`
 * (256), and soft caps only when set (both default to none).
 */
function gemma3Settings(json: Json, read: FieldReader, source: string): Partial<DecoderConfig> {
  const numLayers = read.requiredSize("num_hidden_layers");
  const patternField = read.size("sliding_window_pattern");
  const layerTypes = json["layer_types"];
  let pattern = patternField ?? 6;
  if (layerTypes !== undefined && layerTypes !== null) {
    // The period of the list: the first global layer, checked against every layer.
    const first = Array.isArray(layerTypes) ? layerTypes.indexOf("full_attention") : -1;
    pattern = first < 0 ? numLayers + 1 : first + 1;
    const periodic = Array.from({ length: numLayers }, (_, layer) =>
      (layer + 1) % pattern === 0 ? "full_attention" : "sliding_attention",
    );
    if (!Array.isArray(layerTypes) || layerTypes.join(",") !== periodic.join(",")) {
      unsupported(
        source,
        `layer_types ${quoteForMessage(layerTypes)} is not a repeating run of sliding layers and one full layer`,
        "Only Gemma 3's periodic pattern (sliding_window_pattern) is built.",
      );
    }
  }
  const slidingWindow = read.size("sliding_window") ?? 4096;
  const positive = (key: string, value: number | undefined) => {
    if (value !== undefined && !(value > 0)) read.fail(`${key} must be positive, got ${value}`);
    return value;
  };
  // transformers 5: rope_parameters per layer type; before: rope_theta, rope_scaling, rope_local_base_freq.
  const parameters = read.object("rope_parameters");
  const full = parameters?.["full_attention"];
  const local = parameters?.["sliding_attention"];
  const perType = typeof full === "object" && full !== null;
  const global = perType
    ? rotarySettings(fieldReader({ rope_parameters: full }, source), source)
    : rotarySettings(fieldReader({ rope_theta: 1_000_000, ...json }, source), source);
  const localTheta = perType
    ? fieldReader((local ?? {}) as Json, `${source} rope_parameters.sliding_attention`).number("rope_theta")
    : read.number("rope_local_base_freq");
  const attentionCap = positive("attn_logit_softcapping", read.number("attn_logit_softcapping"));
  const finalCap = positive("final_logit_softcapping", read.number("final_logit_softcapping"));
  return {
    activation: activationOf(
      read.string("hidden_activation") ?? "gelu_pytorch_tanh",
      source,
      "hidden_activation",
    ),
    ...global,
    ropeLocalTheta: positive("rope_local_base_freq", localTheta ?? 10000)!,
    slidingWindow,
    slidingWindowPattern: pattern,
    queryPreAttentionScalar: positive("query_pre_attn_scalar", read.number("query_pre_attn_scalar") ?? 256)!,
    ...(attentionCap !== undefined ? { attentionLogitSoftcap: attentionCap } : {}),
    ...(finalCap !== undefined ? { finalLogitSoftcap: finalCap } : {}),
  };
}

function gemmaSettings(
  json: Json,
  modelType: string,
  read: FieldReader,
  source: string,
): Partial<DecoderConfig> {
  const activation = activationOf(
    read.string("hidden_activation") ?? "gelu_pytorch_tanh",
    source,
    "hidden_activation",
  );
  if (modelType === "gemma") return { activation };
  const numLayers = read.requiredSize("num_hidden_layers");
  const layerTypes = json["layer_types"];
  if (layerTypes !== undefined && layerTypes !== null) {
    const alternating = Array.from({ length: numLayers }, (_, layer) =>
      layer % 2 === 0 ? "sliding_attention" : "full_attention",
    );
    if (!Array.isArray(layerTypes) || layerTypes.join(",") !== alternating.join(",")) {
      unsupported(
        source,
        `layer_types ${quoteForMessage(layerTypes)} is not Gemma 2's sliding, full, sliding, ... pattern`,
        "Only Gemma 2's alternating sliding-window layers are built.",
      );
    }
  }
  const slidingWindow = defaultedOrOff(json, read, "sliding_window", 4096);
  if (slidingWindow !== undefined && !(Number.isSafeInteger(slidingWindow) && slidingWindow > 0)) {
    read.fail(`sliding_window must be a positive integer, got ${slidingWindow}`);
  }
  const positive = (key: string, value: number | undefined) => {
    if (value !== undefined && !(value > 0)) read.fail(`${key} must be positive, got ${value}`);
    return value;
  };
  const queryScalar = positive("query_pre_attn_scalar", read.number("query_pre_attn_scalar") ?? 256);
  const attentionCap = positive(
    "attn_logit_softcapping",
    defaultedOrOff(json, read, "attn_logit_softcapping", 50),
  );
  const finalCap = positive(
    "final_logit_softcapping",
    defaultedOrOff(json, read, "final_logit_softcapping", 30),
  );
  return {
    activation,
    ...(slidingWindow !== undefined ? { slidingWindow } : {}),
    ...(queryScalar !== undefined ? { queryPreAttentionScalar: queryScalar } : {}),
    ...(attentionCap !== undefined ? { attentionLogitSoftcap: attentionCap } : {}),
    ...(finalCap !== undefined ? { finalLogitSoftcap: finalCap } : {}),
  };
}

/**
 * Phi-3's rotary settings: no scaling (phi-3-mini-4k) or LongRoPE ("longrope", formerly "su";
 * phi-3-mini-128k, Phi-3.5), the only types `Phi3Config` takes; any other scaling is refused with
 * its type named. LongRoPE's attention factor is transformers' `_compute_longrope_parameters`:
 * `attention_factor` when given, else sqrt(1 + ln(s) / ln(original)) for s = max / original > 1, else 1.
 */
function phi3RotarySettings(
  read: FieldReader,
  source: string,
  headDim: number,
): { ropeTheta: number; ropeScaling?: RopeScaling } {
  const scaling = read.object("rope_scaling") ?? read.object("rope_parameters");
  const scale = scaling ? fieldReader(scaling, `${source} rope_scaling`) : undefined;
  const type = scale?.string("rope_type") ?? scale?.string("type");
  if (scale !== undefined && (type === "longrope" || type === "su")) {
    // transformers 5 keeps rope_theta in rope_parameters beside the scaling.
    const ropeTheta = read.number("rope_theta") ?? scale.number("rope_theta") ?? 10000;
    const maxPositions = read.size("max_position_embeddings") ?? 4096;
    const original =
      scale.size("original_max_position_embeddings") ??
      read.size("original_max_position_embeddings") ??
      maxPositions;
    if (original > maxPositions) {
      scale.fail(
        `original_max_position_embeddings ${original} exceeds max_position_embeddings ${maxPositions}`,
      );
    }
    const rotaryDim = Math.floor(headDim * (read.number("partial_rotary_factor") ?? 1));
    const factors = (key: string): number[] => {
      const value = scaling![key];
      if (
        !Array.isArray(value) ||
        value.length !== rotaryDim / 2 ||
        !value.every((factor) => typeof factor === "number" && Number.isFinite(factor) && factor > 0)
      ) {
        scale.fail(`${key} must be a list of ${rotaryDim / 2} positive finite numbers (rotary dim / 2)`);
      }
      return value as number[];
    };
    const shortFactor = factors("short_factor");
    const longFactor = factors("long_factor");
    const ratio = maxPositions / original;
    const given = scale.number("attention_factor");
    if (given !== undefined && !(given > 0)) scale.fail(`attention_factor must be positive, got ${given}`);
    const attentionFactor = given ?? (ratio > 1 ? Math.sqrt(1 + Math.log(ratio) / Math.log(original)) : 1);
    return {
      ropeTheta,
      ropeScaling: {
        type: "longrope",
        shortFactor,
        longFactor,
        originalMaxPositionEmbeddings: original,
        attentionFactor,
      },
    };
  }
  const rotary = rotarySettings(read, source);
  if (rotary.ropeScaling !== undefined) {
    unsupported(
      source,
      `rope_scaling type ${quoteForMessage(rotary.ropeScaling.type)} is not one Phi-3 takes`,
      "Phi-3 checkpoints use no rope_scaling (4k context) or LongRoPE (longrope / su, 128k).",
    );
  }
  return { ropeTheta: rotary.ropeTheta };
}

/** Llama, Mistral, Qwen2, Qwen3, Gemma, Gemma 2 and 3 and Phi-3: the `LlamaConfig` field names. */
function llamaFamilyConfig(json: Json, modelType: string, read: FieldReader, source: string): DecoderConfig {
  const hiddenSize = read.requiredSize("hidden_size");
  const numHeads = read.requiredSize("num_attention_heads");
  const gemma3 = modelType === "gemma3_text";
  const gemma = modelType === "gemma" || modelType === "gemma2" || gemma3;
  const qwen = modelType === "qwen2" || modelType === "qwen3";
  if (qwen && read.boolean("use_sliding_window") === true) {
    unsupported(
      source,
      `use_sliding_window is true: ${modelType} then windows only some layers (max_window_layers)`,
      "Per-layer sliding windows are not built; use a checkpoint with use_sliding_window false.",
    );
  }
  const phi3 = modelType === "phi3";
  // transformers windows every layer of Mistral and Phi-3 (phi-3-mini: 2047) when sliding_window is set.
  const slidingWindow =
    modelType === "mistral" ? read.integer("sliding_window") : phi3 ? read.size("sliding_window") : undefined;
  const partialRotary = read.number("partial_rotary_factor");
  // GemmaConfig's head_dim defaults to 256 whatever the hidden size.
  const headDim =
    read.size("head_dim") ??
    (gemma ? 256 : headSize(read, "hidden_size", hiddenSize, "num_attention_heads", numHeads));
  return {
    architecture: modelType,
    vocabSize: read.requiredSize("vocab_size"),
    hiddenSize,
    intermediateSize: read.requiredSize("intermediate_size"),
    numLayers: read.requiredSize("num_hidden_layers"),
    numHeads,
    numKeyValueHeads: read.size("num_key_value_heads") ?? numHeads,
    headDim,
    contextLength:
      read.size("max_position_embeddings") ?? (gemma3 ? 131072 : gemma ? 8192 : phi3 ? 4096 : 2048),
    rmsNormEps: read.number("rms_norm_eps") ?? (phi3 ? 1e-5 : 1e-6),
    ...(phi3 ? phi3RotarySettings(read, source, headDim) : rotarySettings(read, source)),
    ropeStyle: "half",
    // LlamaConfig and MistralConfig default to an untied output, GemmaConfig to a tied one; Qwen configs always say.
    tieWordEmbeddings: read.boolean("tie_word_embeddings") ?? gemma,
    ...tokenIds(json),
    // Phi-3's projections have no biases whatever the config says (transformers reads neither field).
    attentionBias: !phi3 && (read.boolean("attention_bias") ?? false),
    mlpBias: !phi3 && (read.boolean("mlp_bias") ?? false),
    // transformers ignores Gemma's hidden_act (gemmaSettings reads hidden_activation).
    ...(gemma ? {} : { activation: activationOf(read.string("hidden_act") ?? "silu", source) }),
    ...(partialRotary !== undefined && partialRotary !== 1 ? { rotaryFraction: partialRotary } : {}),
    ...(slidingWindow !== undefined ? { slidingWindow } : {}),
    ...(gemma3
      ? gemma3Settings(json, read, source)
      : gemma
        ? gemmaSettings(json, modelType, read, source)
        : {}),
  };
}

function gpt2Config(json: Json, read: FieldReader, source: string): DecoderConfig {
  if (read.boolean("scale_attn_by_inverse_layer_idx") === true) {
    unsupported(source, "scale_attn_by_inverse_layer_idx is true", "Only standard GPT-2 attention is built.");
  }
  if (read.boolean("scale_attn_weights") === false) {
    unsupported(source, "scale_attn_weights is false", "Only standard GPT-2 attention is built.");
  }
  const hiddenSize = read.requiredSize("n_embd", "hidden_size");
  const numHeads = read.requiredSize("n_head", "num_attention_heads");
  const layerNormEps = read.number("layer_norm_epsilon") ?? 1e-5;
  return {
    architecture: "gpt2",
    vocabSize: read.requiredSize("vocab_size"),
    hiddenSize,
    intermediateSize: read.size("n_inner") ?? 4 * hiddenSize,
    numLayers: read.requiredSize("n_layer", "num_hidden_layers"),
    numHeads,
    numKeyValueHeads: numHeads,
    headDim: headSize(read, "n_embd", hiddenSize, "n_head", numHeads),
    contextLength: read.requiredSize("n_positions", "n_ctx"),
    // Unused by GPT-2 (LayerNorm, learned positions) but must hold valid values.
    rmsNormEps: layerNormEps,
    ropeTheta: 10000,
    ropeStyle: "half",
    tieWordEmbeddings: read.boolean("tie_word_embeddings") ?? true,
    ...tokenIds(json),
    layerNormEps,
    activation: activationOf(read.string("activation_function") ?? "gelu_new", source),
  };
}

function gptNeoxConfig(json: Json, read: FieldReader, source: string): DecoderConfig {
  if (read.boolean("attention_bias") === false) {
    unsupported(
      source,
      "attention_bias is false",
      "GPT-NeoX checkpoints without attention biases are not built.",
    );
  }
  const hiddenSize = read.requiredSize("hidden_size");
  const numHeads = read.requiredSize("num_attention_heads");
  const layerNormEps = read.number("layer_norm_eps") ?? 1e-5;
  return {
    architecture: "gpt_neox",
    vocabSize: read.requiredSize("vocab_size"),
    hiddenSize,
    intermediateSize: read.requiredSize("intermediate_size"),
    numLayers: read.requiredSize("num_hidden_layers"),
    numHeads,
    numKeyValueHeads: numHeads,
    headDim: headSize(read, "hidden_size", hiddenSize, "num_attention_heads", numHeads),
    contextLength: read.size("max_position_embeddings") ?? 2048,
    rmsNormEps: layerNormEps,
    ...rotarySettings(read, source),
    ropeStyle: "half",
    tieWordEmbeddings: read.boolean("tie_word_embeddings") ?? false,
    ...tokenIds(json),
    layerNormEps,
    activation: activationOf(read.string("hidden_act") ?? "gelu", source),
    parallelResidual: read.boolean("use_parallel_residual") ?? true,
    rotaryFraction: read.number("rotary_pct") ?? read.number("partial_rotary_factor") ?? 0.25,
  };
}

/**
 * OPT (`OPTConfig`, transformers' defaults for absent fields): `ffn_dim`, ReLU by default, pre- or
 * post-norm (`do_layer_norm_before`), tied output, and `word_embed_proj_dim` (opt-350m's narrower
 * token embeddings with `project_in` / `project_out`). What is not built is refused:
 * `enable_bias` false, `layer_norm_elementwise_affine` false, `_remove_final_layer_norm` true.
 */
function optConfig(json: Json, read: FieldReader, source: string): DecoderConfig {
  const hiddenSize = read.requiredSize("hidden_size");
  const numHeads = read.requiredSize("num_attention_heads");
  const projection = read.size("word_embed_proj_dim");
  for (const [key, refused, why] of [
    ["enable_bias", false, "OPT without biases is not built."],
    ["layer_norm_elementwise_affine", false, "OPT LayerNorms without weights are not built."],
    ["_remove_final_layer_norm", true, "Convert the checkpoint with a current transformers release."],
  ] as const) {
    if (read.boolean(key) === refused) unsupported(source, `${key} is ${refused}`, why);
  }
  const layerNormBefore = read.boolean("do_layer_norm_before") ?? true;
  return {
    architecture: "opt",
    vocabSize: read.requiredSize("vocab_size"),
    hiddenSize,
    intermediateSize: read.requiredSize("ffn_dim"),
    numLayers: read.requiredSize("num_hidden_layers"),
    numHeads,
    numKeyValueHeads: numHeads,
    headDim: headSize(read, "hidden_size", hiddenSize, "num_attention_heads", numHeads),
    contextLength: read.size("max_position_embeddings") ?? 2048,
    // Unused by OPT (LayerNorm with PyTorch's default epsilon, learned positions) but must hold valid values.
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeStyle: "half",
    tieWordEmbeddings: read.boolean("tie_word_embeddings") ?? true,
    ...tokenIds(json),
    layerNormEps: 1e-5,
    activation: activationOf(read.string("activation_function") ?? "relu", source, "activation_function"),
    layerNormBefore,
    ...(projection !== undefined && projection !== hiddenSize ? { wordEmbeddingSize: projection } : {}),
  };
}

/**
 * Maps a Hugging Face `config.json` (parsed) to a {@link DecoderConfig}, for model_type llama,
 * mistral, qwen2, qwen3, gemma, gemma2, phi3, gpt2, gpt_neox and opt, with each family's transformers defaults for absent
 * fields. Rotary embeddings are always the "half" style (`rotate_half`), which is how transformers
 * runs every one of these checkpoints. A list of eos ids keeps its first (see
 * {@link hfSpecialTokenIds} for all of them). `source` names the file in error messages.
 * Sizes are held to tokenscope's limits (modelLayers, modelWidth, vocabulary) before anything uses them.
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for another model_type (listing the supported
 *   ones), an unknown activation (Gemma: `hidden_activation`, named) or rope_scaling type (Phi-3:
 *   any but LongRoPE), a
 *   Gemma 2 `layer_types` other than its alternating pattern, the OPT variants `optConfig` names;
 *   MODEL_LOAD_FAILED for a missing or malformed LongRoPE key (factor lists, original context), a missing or
 *   ill-typed field, a size that is not a positive integer or is beyond the limits, heads that do
 *   not divide the hidden size, or sizes that do not make a model.
 */
export function decoderConfigFromHf(json: unknown, source = "config.json"): DecoderConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${source}: the config is not a JSON object.`, {
      hint: "Point at a Hugging Face model folder's config.json.",
      details: { source },
    });
  }
  const object = textModelConfig(json as Json, source);
  const read = fieldReader(object, source);
  const modelType = read.string("model_type");
  if (modelType === undefined || !supportedHfModelTypes.includes(modelType)) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `${source}: model_type ${modelType === undefined ? "is missing" : `${quoteForMessage(modelType)} is not supported`}; supported: ${supportedHfModelTypes.join(", ")}.`,
      {
        hint: "Load a model of a supported family, or its stock transformers.js ONNX export.",
        details: { source, modelType, supported: [...supportedHfModelTypes] },
      },
    );
  }
  const config =
    modelType === "gpt2"
      ? gpt2Config(object, read, source)
      : modelType === "gpt_neox"
        ? gptNeoxConfig(object, read, source)
        : modelType === "opt"
          ? optConfig(object, read, source)
          : llamaFamilyConfig(object, modelType, read, source);
  validateDecoderConfig(config, source);
  checkDecoderConfigBounds(config, source, fieldNames[modelType] ?? llamaFieldNames);
  return config;
}

/**
 * `Gemma3TextConfig`'s defaults, which a multimodal Gemma 3 config.json leaves out of its
 * `text_config` (transformers saves only the fields that differ from them there).
 */
const gemma3TextDefaults: Json = {
  vocab_size: 262_208,
  hidden_size: 2304,
  intermediate_size: 9216,
  num_hidden_layers: 26,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 256,
  max_position_embeddings: 131_072,
  rms_norm_eps: 1e-6,
  rope_theta: 1_000_000,
  rope_local_base_freq: 10_000,
  query_pre_attn_scalar: 256,
  sliding_window: 4096,
  sliding_window_pattern: 6,
  tie_word_embeddings: true,
  bos_token_id: 2,
  eos_token_id: 1,
};

/**
 * The text model's config of a config.json: itself, or for a multimodal Gemma 3 checkpoint
 * (`Gemma3ForConditionalGeneration`, model_type gemma3) its `text_config` over `Gemma3TextConfig`'s
 * defaults, read as gemma3_text (the vision tower is not loaded; its tensors are skipped).
 */
function textModelConfig(json: Json, source: string): Json {
  if (json["model_type"] !== "gemma3") return json;
  const text = json["text_config"];
  if (typeof text !== "object" || text === null || Array.isArray(text)) {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${source}: a gemma3 config has no text_config object.`, {
      hint: "Point at a Gemma 3 checkpoint's own config.json.",
      details: { source },
    });
  }
  return { ...gemma3TextDefaults, ...(text as Json), model_type: "gemma3_text" };
}

/**
 * Special token ids from `config.json` and, when given, `generation_config.json` (whose
 * `eos_token_id` list wins: Llama 3 and Qwen chat models stop on several ids listed there).
 */
export function hfSpecialTokenIds(config: unknown, generationConfig?: unknown): SpecialTokenIds {
  const fields = (json: unknown): Json =>
    typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Json) : {};
  const base = fields(config);
  const generation = fields(generationConfig);
  const pick = (key: string) =>
    (generation[key] !== undefined && generation[key] !== null ? generation : base)[key];
  const bos = firstId(pick("bos_token_id"));
  const eos = [...new Set(tokenIdList(pick("eos_token_id")))];
  const pad = firstId(pick("pad_token_id"));
  return {
    ...(bos !== undefined ? { bos } : {}),
    ...(eos.length > 0 ? { eos } : {}),
    ...(pad !== undefined ? { pad } : {}),
  };
}
