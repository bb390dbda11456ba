import { describe, expect, it } from "vitest";
import { errorOf } from "../testing/errors.test-helpers.ts";
import { tinyFamilyConfigs } from "../testing/random-weights.ts";
import { decoderConfigFromHf } from "./config.ts";
import { hfConfigJson } from "./config-json.ts";

// google/gemma-2b's config.json: hidden_act "gelu", no hidden_activation (transformers uses tanh GELU).
const gemma2b = {
  architectures: ["GemmaForCausalLM"],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 2,
  eos_token_id: 1,
  head_dim: 256,
  hidden_act: "gelu",
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 16384,
  max_position_embeddings: 8192,
  model_type: "gemma",
  num_attention_heads: 8,
  num_hidden_layers: 18,
  num_key_value_heads: 1,
  pad_token_id: 0,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 10000.0,
  torch_dtype: "bfloat16",
  use_cache: true,
  vocab_size: 256000,
};

// google/gemma-2-2b's config.json.
const gemma2_2b = {
  architectures: ["Gemma2ForCausalLM"],
  attention_bias: false,
  attention_dropout: 0.0,
  attn_logit_softcapping: 50.0,
  bos_token_id: 2,
  cache_implementation: "hybrid",
  eos_token_id: 1,
  final_logit_softcapping: 30.0,
  head_dim: 256,
  hidden_act: "gelu_pytorch_tanh",
  hidden_activation: "gelu_pytorch_tanh",
  hidden_size: 2304,
  initializer_range: 0.02,
  intermediate_size: 9216,
  max_position_embeddings: 8192,
  model_type: "gemma2",
  num_attention_heads: 8,
  num_hidden_layers: 26,
  num_key_value_heads: 4,
  pad_token_id: 0,
  query_pre_attn_scalar: 256,
  rms_norm_eps: 1e-6,
  rope_theta: 10000.0,
  sliding_window: 4096,
  torch_dtype: "float32",
  use_cache: true,
  vocab_size: 256000,
};

describe("decoderConfigFromHf on Gemma and Gemma 2 configs", () => {
  it("maps Gemma-2B: head_dim 256, one key/value head, tied output, tanh GELU despite hidden_act gelu", () => {
    expect(decoderConfigFromHf(gemma2b)).toMatchObject({
      architecture: "gemma",
      hiddenSize: 2048,
      numHeads: 8,
      numKeyValueHeads: 1,
      headDim: 256,
      intermediateSize: 16384,
      contextLength: 8192,
      tieWordEmbeddings: true,
      activation: "gelu_tanh",
      bosTokenId: 2,
      eosTokenId: 1,
    });
    const { head_dim: _, max_position_embeddings: __, ...bare } = gemma2b;
    // GemmaConfig's defaults: head_dim 256 whatever hidden / heads, 8192 positions.
    expect(decoderConfigFromHf(bare)).toMatchObject({ headDim: 256, contextLength: 8192 });
  });

  it("maps Gemma-2-2B: query scalar, soft caps and window; absent fields take Gemma2Config's defaults, null turns them off", () => {
    const config = decoderConfigFromHf(gemma2_2b);
    expect(config).toMatchObject({
      architecture: "gemma2",
      headDim: 256,
      numKeyValueHeads: 4,
      queryPreAttentionScalar: 256,
      attentionLogitSoftcap: 50,
      finalLogitSoftcap: 30,
      slidingWindow: 4096,
      activation: "gelu_tanh",
      tieWordEmbeddings: true,
    });
    const {
      attn_logit_softcapping: _a,
      final_logit_softcapping: _f,
      sliding_window: _s,
      query_pre_attn_scalar: _q,
      ...bare
    } = gemma2_2b;
    expect(decoderConfigFromHf(bare)).toMatchObject({
      queryPreAttentionScalar: 256,
      attentionLogitSoftcap: 50,
      finalLogitSoftcap: 30,
      slidingWindow: 4096,
    });
    const off = decoderConfigFromHf({
      ...gemma2_2b,
      attn_logit_softcapping: null,
      final_logit_softcapping: null,
      sliding_window: null,
    });
    expect([off.attentionLogitSoftcap, off.finalLogitSoftcap, off.slidingWindow]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("accepts layer_types in the alternating pattern and refuses others, naming the key", () => {
    const alternating = Array.from({ length: 26 }, (_, i) =>
      i % 2 === 0 ? "sliding_attention" : "full_attention",
    );
    expect(decoderConfigFromHf({ ...gemma2_2b, layer_types: alternating }).slidingWindow).toBe(4096);
    const error = errorOf(() =>
      decoderConfigFromHf({ ...gemma2_2b, layer_types: alternating.map(() => "full_attention") }),
    );
    expect(error.code).toBe("UNSUPPORTED_ARCHITECTURE");
    expect(error.message).toContain("layer_types");
  });

  it("refuses an unknown hidden_activation with UNSUPPORTED_ARCHITECTURE naming the key", () => {
    for (const json of [gemma2b, gemma2_2b]) {
      const error = errorOf(() => decoderConfigFromHf({ ...json, hidden_activation: "quick_gelu" }));
      expect(error.code).toBe("UNSUPPORTED_ARCHITECTURE");
      expect(error.message).toContain('hidden_activation "quick_gelu"');
    }
    // hidden_act is not read for Gemma, as in transformers.
    expect(decoderConfigFromHf({ ...gemma2b, hidden_act: "quick_gelu" }).activation).toBe("gelu_tanh");
    expect(decoderConfigFromHf({ ...gemma2b, hidden_activation: "gelu" }).activation).toBe("gelu");
  });

  it("refuses non-positive soft caps and query scalars (MODEL_LOAD_FAILED)", () => {
    for (const key of ["attn_logit_softcapping", "final_logit_softcapping", "query_pre_attn_scalar"]) {
      const error = errorOf(() => decoderConfigFromHf({ ...gemma2_2b, [key]: 0 }));
      expect(error.code).toBe("MODEL_LOAD_FAILED");
      expect(error.message).toContain(key);
    }
  });

  it("writes config.json as transformers does and reads it back", () => {
    for (const architecture of ["gemma", "gemma2"]) {
      const config = tinyFamilyConfigs[architecture]!;
      const json = hfConfigJson(config);
      expect(json).toMatchObject({
        architectures: [architecture === "gemma" ? "GemmaForCausalLM" : "Gemma2ForCausalLM"],
        model_type: architecture,
        head_dim: 16,
        hidden_act: "gelu_pytorch_tanh",
        hidden_activation: "gelu_pytorch_tanh",
        tie_word_embeddings: true,
      });
      expect(decoderConfigFromHf(JSON.parse(JSON.stringify(json)))).toEqual(expect.objectContaining(config));
    }
    expect(hfConfigJson(tinyFamilyConfigs["gemma2"]!)).toMatchObject({
      query_pre_attn_scalar: 24,
      sliding_window: 4,
      attn_logit_softcapping: 50,
      final_logit_softcapping: 30,
      layer_types: ["sliding_attention", "full_attention"],
    });
  });
});
