import { isTokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../formats/safetensors/read.ts";
import { writeSafetensors } from "../formats/safetensors/write.ts";
import { randomWeights } from "../testing/random-weights.ts";
import { decoderConfigFromHf } from "./config.ts";
import { hfConfigJson } from "./config-json.ts";
import { hfTensorsToDecoderWeights } from "./weights.ts";

/** facebook/opt-125m's config.json. */
const opt125m = {
  activation_dropout: 0.0,
  activation_function: "relu",
  architectures: ["OPTForCausalLM"],
  attention_dropout: 0.0,
  bos_token_id: 2,
  do_layer_norm_before: true,
  dropout: 0.1,
  eos_token_id: 2,
  ffn_dim: 3072,
  hidden_size: 768,
  init_std: 0.02,
  layerdrop: 0.0,
  max_position_embeddings: 2048,
  model_type: "opt",
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 1,
  prefix: "</s>",
  torch_dtype: "float16",
  use_cache: true,
  vocab_size: 50272,
  word_embed_proj_dim: 768,
};

function errorOf(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isTokenscopeError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("no error");
}

describe("decoderConfigFromHf for opt", () => {
  it("reads opt-125m: pre-norm, ReLU, ffn_dim, tied output, </s> as bos and eos", () => {
    expect(decoderConfigFromHf(opt125m)).toEqual({
      architecture: "opt",
      vocabSize: 50272,
      hiddenSize: 768,
      intermediateSize: 3072,
      numLayers: 12,
      numHeads: 12,
      numKeyValueHeads: 12,
      headDim: 64,
      contextLength: 2048,
      rmsNormEps: 1e-5,
      ropeTheta: 10000,
      ropeStyle: "half",
      tieWordEmbeddings: true,
      bosTokenId: 2,
      eosTokenId: 2,
      layerNormEps: 1e-5,
      activation: "relu",
      layerNormBefore: true,
    });
  });

  it("reads post-norm layers (do_layer_norm_before false) and OPTConfig's defaults", () => {
    const {
      word_embed_proj_dim: _,
      activation_function: __,
      max_position_embeddings: ___,
      ...bare
    } = opt125m;
    expect(decoderConfigFromHf({ ...bare, do_layer_norm_before: false })).toMatchObject({
      layerNormBefore: false,
      activation: "relu",
      contextLength: 2048,
    });
  });

  it("reads opt-350m's narrower token embeddings (word_embed_proj_dim) and writes them back", () => {
    const opt350m = {
      ...opt125m,
      hidden_size: 1024,
      num_attention_heads: 16,
      ffn_dim: 4096,
      word_embed_proj_dim: 512,
      do_layer_norm_before: false,
    };
    const config = decoderConfigFromHf(opt350m);
    expect(config).toMatchObject({ hiddenSize: 1024, wordEmbeddingSize: 512, layerNormBefore: false });
    expect(hfConfigJson(config)).toMatchObject({ word_embed_proj_dim: 512, hidden_size: 1024 });
    expect(decoderConfigFromHf(opt125m).wordEmbeddingSize).toBeUndefined();
  });

  it("refuses what is not built with UNSUPPORTED_ARCHITECTURE, naming the field", () => {
    for (const [key, value] of [
      ["enable_bias", false],
      ["layer_norm_elementwise_affine", false],
      ["_remove_final_layer_norm", true],
    ] as const) {
      expect(errorOf(() => decoderConfigFromHf({ ...opt125m, [key]: value }))).toEqual({
        code: "UNSUPPORTED_ARCHITECTURE",
        message: expect.stringContaining(`${key} is ${value}`),
      });
    }
    expect(
      errorOf(() => decoderConfigFromHf({ ...opt125m, activation_function: "swiglu" })).message,
    ).toContain('activation_function "swiglu"');
  });

  it("writes a config.json that reads back, post-norm included", () => {
    const config = randomWeights("opt", { layerNormBefore: false, tieWordEmbeddings: false }).config;
    const json = hfConfigJson(config);
    expect(json).toMatchObject({
      architectures: ["OPTForCausalLM"],
      do_layer_norm_before: false,
      ffn_dim: 128,
    });
    expect(decoderConfigFromHf(JSON.parse(JSON.stringify(json)))).toEqual(config);
  });
});

describe("hfTensorsToDecoderWeights for opt", () => {
  it("adds model. to a bare OPTModel checkpoint and drops a tied model's lm_head copy", () => {
    const weights = randomWeights("opt", {}, 4);
    const entries = [...weights.tensors].map(
      ([name, tensor]) => [name.replace(/^model\./, ""), tensor] as const,
    );
    const embed = weights.tensors.get("model.decoder.embed_tokens.weight")!;
    const file = readSafetensors(
      writeSafetensors([
        ...entries.map(([name, t]): [string, { dtype: "F32"; dims: number[]; data: Float32Array }] => [
          name,
          { dtype: "F32", dims: t.dims, data: t.data },
        ]),
        ["lm_head.weight", { dtype: "F32", dims: embed.dims, data: embed.data }],
      ]),
    );
    const loaded = hfTensorsToDecoderWeights(weights.config, file, "opt-bare");
    expect([...loaded.tensors.keys()].sort()).toEqual([...weights.tensors.keys()].sort());
    for (const [name, tensor] of weights.tensors) expect(loaded.tensors.get(name)!.data).toEqual(tensor.data);
  });
});
