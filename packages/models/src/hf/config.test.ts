import { isTokenscopeError, type TokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { tinyFamilyConfigs } from "../testing/random-weights.ts";
import { decoderConfigFromHf, hfSpecialTokenIds, supportedHfModelTypes } from "./config.ts";
import { hfConfigJson } from "./config-json.ts";

function errorOf(run: () => unknown): TokenscopeError {
  try {
    run();
  } catch (error) {
    if (isTokenscopeError(error)) return error;
    throw error;
  }
  throw new Error("expected a TokenscopeError");
}

// Values as the public config.json files of these checkpoints have them (trimmed to the fields read).
const smolLm2_135m = {
  architectures: ["LlamaForCausalLM"],
  attention_bias: false,
  bos_token_id: 0,
  eos_token_id: 0,
  hidden_act: "silu",
  hidden_size: 576,
  intermediate_size: 1536,
  max_position_embeddings: 8192,
  mlp_bias: false,
  model_type: "llama",
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  rms_norm_eps: 1e-5,
  rope_interleaved: false,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  vocab_size: 49152,
};

const qwen25_05b = {
  architectures: ["Qwen2ForCausalLM"],
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: "silu",
  hidden_size: 896,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 24,
  model_type: "qwen2",
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const qwen3_06b = {
  architectures: ["Qwen3ForCausalLM"],
  attention_bias: false,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: "silu",
  hidden_size: 1024,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  model_type: "qwen3",
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const gpt2 = {
  activation_function: "gelu_new",
  architectures: ["GPT2LMHeadModel"],
  bos_token_id: 50256,
  eos_token_id: 50256,
  layer_norm_epsilon: 1e-5,
  model_type: "gpt2",
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  vocab_size: 50257,
};

const pythia70m = {
  architectures: ["GPTNeoXForCausalLM"],
  bos_token_id: 0,
  eos_token_id: 0,
  hidden_act: "gelu",
  hidden_size: 512,
  intermediate_size: 2048,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 2048,
  model_type: "gpt_neox",
  num_attention_heads: 8,
  num_hidden_layers: 6,
  rotary_emb_base: 10000,
  rotary_pct: 0.25,
  tie_word_embeddings: false,
  use_parallel_residual: true,
  vocab_size: 50304,
};

// Llama 3.2 1B: Llama 3.1 rope scaling and three stop ids.
const llama32_1b = {
  model_type: "llama",
  hidden_size: 2048,
  intermediate_size: 8192,
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  head_dim: 64,
  max_position_embeddings: 131072,
  rms_norm_eps: 1e-5,
  rope_theta: 500000.0,
  rope_scaling: {
    factor: 32.0,
    high_freq_factor: 4.0,
    low_freq_factor: 1.0,
    original_max_position_embeddings: 8192,
    rope_type: "llama3",
  },
  tie_word_embeddings: true,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  vocab_size: 128256,
};

const mistral7b = {
  model_type: "mistral",
  hidden_size: 4096,
  intermediate_size: 14336,
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  max_position_embeddings: 32768,
  rms_norm_eps: 1e-5,
  rope_theta: 10000.0,
  sliding_window: 4096,
  tie_word_embeddings: false,
  bos_token_id: 1,
  eos_token_id: 2,
  vocab_size: 32000,
};

describe("decoderConfigFromHf", () => {
  it("maps SmolLM2-135M (llama, grouped-query, tied)", () => {
    expect(decoderConfigFromHf(smolLm2_135m)).toEqual({
      architecture: "llama",
      vocabSize: 49152,
      hiddenSize: 576,
      intermediateSize: 1536,
      numLayers: 30,
      numHeads: 9,
      numKeyValueHeads: 3,
      headDim: 64,
      contextLength: 8192,
      rmsNormEps: 1e-5,
      ropeTheta: 100000,
      ropeStyle: "half",
      tieWordEmbeddings: true,
      bosTokenId: 0,
      eosTokenId: 0,
      attentionBias: false,
      mlpBias: false,
      activation: "silu",
    });
  });

  it("maps Qwen2.5-0.5B (head size from hidden / heads; sliding_window ignored when unused)", () => {
    const config = decoderConfigFromHf(qwen25_05b);
    expect(config).toMatchObject({
      architecture: "qwen2",
      hiddenSize: 896,
      numHeads: 14,
      numKeyValueHeads: 2,
      headDim: 64,
      intermediateSize: 4864,
      rmsNormEps: 1e-6,
      ropeTheta: 1e6,
      tieWordEmbeddings: true,
      bosTokenId: 151643,
      eosTokenId: 151643,
    });
    expect(config.slidingWindow).toBeUndefined();
  });

  it("maps Qwen3-0.6B (explicit head_dim larger than hidden / heads)", () => {
    expect(decoderConfigFromHf(qwen3_06b)).toMatchObject({
      architecture: "qwen3",
      hiddenSize: 1024,
      numHeads: 16,
      headDim: 128,
      numKeyValueHeads: 8,
      numLayers: 28,
      contextLength: 40960,
      eosTokenId: 151645,
    });
  });

  it("maps GPT-2 (n_* names, n_inner defaulting to 4 × n_embd, gelu_new, tied)", () => {
    expect(decoderConfigFromHf(gpt2)).toMatchObject({
      architecture: "gpt2",
      vocabSize: 50257,
      hiddenSize: 768,
      intermediateSize: 3072,
      numLayers: 12,
      numHeads: 12,
      numKeyValueHeads: 12,
      headDim: 64,
      contextLength: 1024,
      layerNormEps: 1e-5,
      activation: "gelu_tanh",
      tieWordEmbeddings: true,
      bosTokenId: 50256,
    });
  });

  it("maps Pythia-70m (rotary_pct, rotary_emb_base, parallel residual, untied)", () => {
    expect(decoderConfigFromHf(pythia70m)).toMatchObject({
      architecture: "gpt_neox",
      hiddenSize: 512,
      headDim: 64,
      numLayers: 6,
      intermediateSize: 2048,
      rotaryFraction: 0.25,
      ropeTheta: 10000,
      parallelResidual: true,
      activation: "gelu",
      tieWordEmbeddings: false,
      vocabSize: 50304,
    });
  });

  it("carries Llama 3's rope_scaling and keeps the first of several eos ids", () => {
    expect(decoderConfigFromHf(llama32_1b)).toMatchObject({
      ropeTheta: 500000,
      ropeScaling: {
        type: "llama3",
        factor: 32,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositionEmbeddings: 8192,
      },
      eosTokenId: 128001,
      tieWordEmbeddings: true,
    });
  });

  it("maps Mistral's sliding window", () => {
    expect(decoderConfigFromHf(mistral7b)).toMatchObject({
      architecture: "mistral",
      slidingWindow: 4096,
      numKeyValueHeads: 8,
      headDim: 128,
      tieWordEmbeddings: false,
    });
  });

  it("reads transformers 5's rope_parameters and linear scaling", () => {
    const config = decoderConfigFromHf({
      ...smolLm2_135m,
      rope_theta: undefined,
      rope_scaling: undefined,
      rope_parameters: { rope_type: "linear", rope_theta: 250000, factor: 4 },
    });
    expect(config.ropeTheta).toBe(250000);
    expect(config.ropeScaling).toEqual({ type: "linear", factor: 4 });
  });

  it("refuses an unknown model_type with UNSUPPORTED_ARCHITECTURE listing the supported ones", () => {
    const error = errorOf(() => decoderConfigFromHf({ ...gpt2, model_type: "bert" }));
    expect(error.code).toBe("UNSUPPORTED_ARCHITECTURE");
    expect(error.message).toContain('"bert"');
    for (const type of supportedHfModelTypes) expect(error.message).toContain(type);
    expect(errorOf(() => decoderConfigFromHf({ hidden_size: 8 })).message).toContain("model_type is missing");
  });

  it("refuses rope scaling types, activations and layouts the graphs do not build", () => {
    const yarn = errorOf(() =>
      decoderConfigFromHf({ ...qwen3_06b, rope_scaling: { rope_type: "yarn", factor: 4 } }),
    );
    expect(yarn.code).toBe("UNSUPPORTED_ARCHITECTURE");
    expect(yarn.message).toContain('"yarn"');
    expect(errorOf(() => decoderConfigFromHf({ ...smolLm2_135m, hidden_act: "quick_gelu" })).code).toBe(
      "UNSUPPORTED_ARCHITECTURE",
    );
    expect(errorOf(() => decoderConfigFromHf({ ...qwen25_05b, use_sliding_window: true })).message).toContain(
      "max_window_layers",
    );
  });

  it("names a missing or ill-typed field (MODEL_LOAD_FAILED)", () => {
    const missing = errorOf(() =>
      decoderConfigFromHf({ ...smolLm2_135m, hidden_size: undefined }, "x/config.json"),
    );
    expect(missing.code).toBe("MODEL_LOAD_FAILED");
    expect(missing.message).toContain("x/config.json: hidden_size is missing");
    expect(errorOf(() => decoderConfigFromHf({ ...gpt2, n_head: "12" })).message).toContain(
      "n_head must be a number",
    );
    expect(errorOf(() => decoderConfigFromHf({ ...gpt2, n_head: 7 })).code).toBe("MODEL_LOAD_FAILED");
    expect(errorOf(() => decoderConfigFromHf([1, 2])).message).toContain("not a JSON object");
  });

  it("reads back what hfConfigJson writes, for every family", () => {
    for (const config of Object.values(tinyFamilyConfigs)) {
      const roundTrip = decoderConfigFromHf(JSON.parse(JSON.stringify(hfConfigJson(config))));
      for (const [key, value] of Object.entries(config)) {
        expect({ key, value: roundTrip[key as keyof typeof roundTrip] }).toEqual({ key, value });
      }
    }
    const scaled = { ...tinyFamilyConfigs["llama"]!, ropeScaling: llamaScaling(), slidingWindow: 16 };
    expect(decoderConfigFromHf(hfConfigJson({ ...scaled, architecture: "mistral" }))).toMatchObject({
      ropeScaling: llamaScaling(),
      slidingWindow: 16,
    });
  });
});

describe("decoderConfigFromHf on careless and hostile configs", () => {
  it("refuses 1e9 layers at once, naming the field and the limit (was: a minute of work, then exit 1)", () => {
    const started = performance.now();
    const error = errorOf(() =>
      decoderConfigFromHf({ ...smolLm2_135m, num_hidden_layers: 1e9 }, "big/config.json"),
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain("big/config.json: num_hidden_layers is 1,000,000,000 layers");
    expect(error.message).toContain("limit of 1,024");
    expect(error.message).not.toContain("Lower it");
  });

  it.each([
    [
      { hidden_size: 2 ** 40, num_attention_heads: 8, num_key_value_heads: 8 },
      "hidden_size is 1,099,511,627,776 units, above tokenscope's limit",
    ],
    [{ intermediate_size: 1e8 }, "intermediate_size is 100,000,000 units"],
    [{ vocab_size: 1e9 }, "vocab_size is 1,000,000,000 tokens"],
    [{ head_dim: 2 ** 21 }, "head_dim is 2,097,152 units"],
    [
      { num_key_value_heads: 2 ** 22, num_attention_heads: 2 ** 22, head_dim: 64 },
      "num_attention_heads is 4,194,304 units",
    ],
  ])("refuses sizes beyond the limits: %j", (change, problem) => {
    const error = errorOf(() => decoderConfigFromHf({ ...smolLm2_135m, ...change }));
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain(problem);
  });

  it.each([
    [{ num_hidden_layers: -3 }, "num_hidden_layers must be a positive integer, got -3"],
    [{ num_hidden_layers: 0 }, "num_hidden_layers must be a positive integer, got 0"],
    [{ hidden_size: 576.5 }, "hidden_size must be an integer, got 576.5"],
    [{ vocab_size: 0 }, "vocab_size must be a positive integer, got 0"],
    [{ num_key_value_heads: -1 }, "num_key_value_heads must be a positive integer, got -1"],
    [{ head_dim: 0 }, "head_dim must be a positive integer, got 0"],
    [{ max_position_embeddings: -1 }, "max_position_embeddings must be a positive integer"],
    [{ num_hidden_layers: "30" }, 'num_hidden_layers must be a number, got "30"'],
    [JSON.parse('{ "vocab_size": 1e400 }'), "vocab_size must be a number, got Infinity"],
  ])("refuses %j naming the field", (change, problem) => {
    const error = errorOf(() => decoderConfigFromHf({ ...smolLm2_135m, ...change }));
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain(problem);
  });

  it("says that the heads do not divide the hidden size, in the file's field names (was: a fractional headDim)", () => {
    const llama = errorOf(() => decoderConfigFromHf({ ...smolLm2_135m, num_attention_heads: 7 }));
    expect(llama.message).toContain("hidden_size 576 is not a multiple of num_attention_heads 7");
    const gpt = errorOf(() => decoderConfigFromHf({ ...gpt2, n_head: 7 }));
    expect(gpt.message).toContain("n_embd 768 is not a multiple of n_head 7");
    expect(errorOf(() => decoderConfigFromHf({ ...gpt2, n_layer: 5000 })).message).toContain(
      "n_layer is 5,000 layers",
    );
  });

  it("hfConfigJson refuses to write a config decoderConfigFromHf would refuse", () => {
    const llama = tinyFamilyConfigs["llama"]!;
    expect(errorOf(() => hfConfigJson({ ...llama, numLayers: 1e9 })).message).toContain(
      "numLayers is 1,000,000,000 layers",
    );
    expect(errorOf(() => hfConfigJson({ ...llama, vocabSize: 0 })).code).toBe("MODEL_LOAD_FAILED");
  });
});

function llamaScaling() {
  return {
    type: "llama3" as const,
    factor: 8,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositionEmbeddings: 32,
  };
}

describe("hfSpecialTokenIds", () => {
  it("takes every eos id, generation_config.json winning over config.json", () => {
    expect(hfSpecialTokenIds(llama32_1b)).toEqual({ bos: 128000, eos: [128001, 128008, 128009] });
    expect(hfSpecialTokenIds(qwen25_05b, { eos_token_id: [151645, 151643], pad_token_id: 151643 })).toEqual({
      bos: 151643,
      eos: [151645, 151643],
      pad: 151643,
    });
    expect(hfSpecialTokenIds({ bos_token_id: null }, undefined)).toEqual({});
  });
});
