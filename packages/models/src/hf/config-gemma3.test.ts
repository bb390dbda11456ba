import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type SafetensorsWriteTensor, writeSafetensors } from "../formats/safetensors/write.ts";
import { loadModel } from "../load-model.ts";
import { errorOf } from "../testing/errors.test-helpers.ts";
import { tinyFamilyConfigs } from "../testing/random-weights.ts";
import { referenceGemmaForward } from "../testing/reference-gemma.ts";
import { decoderConfigFromHf } from "./config.ts";
import { hfConfigJson } from "./config-json.ts";
import { writeRandomHfFolder } from "./write-random-folder.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-gemma3-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// google/gemma-3-1b-it's config.json.
const gemma3_1b = {
  architectures: ["Gemma3ForCausalLM"],
  attention_bias: false,
  attention_dropout: 0.0,
  attn_logit_softcapping: null,
  bos_token_id: 2,
  cache_implementation: "hybrid",
  eos_token_id: [1, 106],
  final_logit_softcapping: null,
  head_dim: 256,
  hidden_activation: "gelu_pytorch_tanh",
  hidden_size: 1152,
  initializer_range: 0.02,
  intermediate_size: 6912,
  max_position_embeddings: 32768,
  model_type: "gemma3_text",
  num_attention_heads: 4,
  num_hidden_layers: 26,
  num_key_value_heads: 1,
  pad_token_id: 0,
  query_pre_attn_scalar: 256,
  rms_norm_eps: 1e-6,
  rope_local_base_freq: 10000,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: 512,
  sliding_window_pattern: 6,
  torch_dtype: "bfloat16",
  use_cache: true,
  vocab_size: 262144,
};

describe("decoderConfigFromHf on Gemma 3 text configs", () => {
  it("maps Gemma-3-1B: window 512 on five layers of six, local base 1e4, global 1e6, no caps", () => {
    const config = decoderConfigFromHf(gemma3_1b);
    expect(config).toMatchObject({
      architecture: "gemma3_text",
      hiddenSize: 1152,
      numHeads: 4,
      numKeyValueHeads: 1,
      headDim: 256,
      contextLength: 32768,
      slidingWindow: 512,
      slidingWindowPattern: 6,
      ropeTheta: 1000000,
      ropeLocalTheta: 10000,
      queryPreAttentionScalar: 256,
      activation: "gelu_tanh",
      tieWordEmbeddings: true,
      eosTokenId: 1,
    });
    expect(config.ropeScaling).toBeUndefined();
    expect(config.attentionLogitSoftcap).toBeUndefined();
    expect(config.finalLogitSoftcap).toBeUndefined();
  });

  it("reads the global layers' linear scaling (4B and up), layer_types, and transformers 5's rope_parameters", () => {
    const scaled = decoderConfigFromHf({ ...gemma3_1b, rope_scaling: { rope_type: "linear", factor: 8 } });
    expect(scaled.ropeScaling).toEqual({ type: "linear", factor: 8 });
    const { sliding_window_pattern: _p, rope_theta: _t, rope_local_base_freq: _l, ...bare } = gemma3_1b;
    const layerTypes = Array.from({ length: 26 }, (_, i) =>
      (i + 1) % 6 === 0 ? "full_attention" : "sliding_attention",
    );
    const v5 = decoderConfigFromHf({
      ...bare,
      layer_types: layerTypes,
      rope_parameters: {
        full_attention: { rope_type: "linear", factor: 8, rope_theta: 1000000 },
        sliding_attention: { rope_type: "default", rope_theta: 10000 },
      },
    });
    expect(v5).toMatchObject({
      slidingWindowPattern: 6,
      ropeTheta: 1000000,
      ropeLocalTheta: 10000,
      ropeScaling: { type: "linear", factor: 8 },
    });
    // Gemma3TextConfig's defaults when the fields are absent.
    expect(decoderConfigFromHf(bare)).toMatchObject({
      slidingWindowPattern: 6,
      ropeTheta: 1000000,
      ropeLocalTheta: 10000,
    });
  });

  it("refuses layer_types that do not repeat, naming the key", () => {
    const types = Array.from({ length: 26 }, (_, i) =>
      i === 5 || i === 7 ? "full_attention" : "sliding_attention",
    );
    const error = errorOf(() => decoderConfigFromHf({ ...gemma3_1b, layer_types: types }));
    expect(error.code).toBe("UNSUPPORTED_ARCHITECTURE");
    expect(error.message).toContain("layer_types");
  });

  it("writes config.json as transformers does and reads it back", () => {
    const config = tinyFamilyConfigs["gemma3_text"]!;
    const json = hfConfigJson(config);
    expect(json).toMatchObject({
      architectures: ["Gemma3ForCausalLM"],
      model_type: "gemma3_text",
      sliding_window_pattern: 2,
      layer_types: ["sliding_attention", "full_attention"],
      rope_local_base_freq: 10000,
    });
    expect(decoderConfigFromHf(JSON.parse(JSON.stringify(json)))).toEqual(expect.objectContaining(config));
  });

  it("loads a random Gemma 3 folder whose logits are the independent reference's", async () => {
    const { folder, weights } = await writeRandomHfFolder({
      architecture: "gemma3_text",
      layers: 4,
      hidden: 64,
      heads: 4,
      kvHeads: 2,
      vocab: 400,
      seed: 23,
      out: join(root, "gemma3"),
    });
    const model = await loadModel(folder);
    try {
      expect(model.info.architecture).toBe("gemma3_text");
      const ids = [2, 17, 40, 9, 23, 301, 5, 77, 12, 8];
      const { logits } = await model.forward!({ inputs: { ids: [ids] } });
      const expected = referenceGemmaForward(weights, ids).data;
      let worst = 0;
      for (let i = 0; i < expected.length; i++)
        worst = Math.max(worst, Math.abs(logits.data[i]! - expected[i]!));
      expect(worst).toBeLessThan(1e-4);
    } finally {
      await model.dispose?.();
    }
  });

  it("reads a multimodal Gemma 3 config's text_config over Gemma3TextConfig's defaults (gemma-3-4b-it)", () => {
    // google/gemma-3-4b-it's config.json, its vision_config shortened.
    const config = decoderConfigFromHf({
      architectures: ["Gemma3ForConditionalGeneration"],
      boi_token_index: 255999,
      eoi_token_index: 256000,
      eos_token_id: [1, 106],
      image_token_index: 262144,
      initializer_range: 0.02,
      mm_tokens_per_image: 256,
      model_type: "gemma3",
      text_config: {
        hidden_size: 2560,
        intermediate_size: 10240,
        model_type: "gemma3_text",
        num_hidden_layers: 34,
        rope_scaling: { factor: 8.0, rope_type: "linear" },
        sliding_window: 1024,
      },
      torch_dtype: "bfloat16",
      vision_config: { model_type: "siglip_vision_model", hidden_size: 1152 },
    });
    expect(config).toMatchObject({
      architecture: "gemma3_text",
      vocabSize: 262208,
      hiddenSize: 2560,
      intermediateSize: 10240,
      numLayers: 34,
      numHeads: 8,
      numKeyValueHeads: 4,
      headDim: 256,
      contextLength: 131072,
      slidingWindow: 1024,
      slidingWindowPattern: 6,
      ropeTheta: 1000000,
      ropeLocalTheta: 10000,
      ropeScaling: { type: "linear", factor: 8 },
      queryPreAttentionScalar: 256,
      tieWordEmbeddings: true,
    });
    expect(errorOf(() => decoderConfigFromHf({ model_type: "gemma3" })).message).toContain("text_config");
  });

  it("loads the text model of a multimodal checkpoint (language_model.* tensors, vision tower skipped)", async () => {
    const plain = await writeRandomHfFolder({
      architecture: "gemma3_text",
      layers: 2,
      hidden: 64,
      heads: 4,
      kvHeads: 2,
      vocab: 300,
      seed: 29,
      out: join(root, "gemma3-text"),
    });
    const folder = join(root, "gemma3-multimodal");
    cpSync(plain.folder, folder, { recursive: true });
    const textConfig = JSON.parse(readFileSync(join(plain.folder, "config.json"), "utf8"));
    writeFileSync(
      join(folder, "config.json"),
      JSON.stringify({
        architectures: ["Gemma3ForConditionalGeneration"],
        model_type: "gemma3",
        text_config: textConfig,
        vision_config: { model_type: "siglip_vision_model" },
      }),
    );
    const vision = { dtype: "F32" as const, dims: [4, 4], data: new Float32Array(16).fill(0.5) };
    const tensors: [string, SafetensorsWriteTensor][] = [...plain.weights.tensors].map(([name, tensor]) => [
      `language_model.${name}`,
      { dtype: "F32", dims: tensor.dims, data: tensor.data },
    ]);
    tensors.push(["vision_tower.vision_model.embeddings.patch_embedding.weight", vision]);
    tensors.push(["multi_modal_projector.mm_input_projection_weight", vision]);
    writeFileSync(join(folder, "model.safetensors"), writeSafetensors(tensors));
    const [text, multimodal] = await Promise.all([loadModel(plain.folder), loadModel(folder)]);
    try {
      expect(multimodal.info.architecture).toBe("gemma3_text");
      const ids = [2, 17, 40, 9, 23, 101, 5, 77];
      const [a, b] = await Promise.all([text, multimodal].map((m) => m.forward!({ inputs: { ids: [ids] } })));
      expect(Array.from(b!.logits.data)).toEqual(Array.from(a!.logits.data));
    } finally {
      await Promise.all([text, multimodal].map((m) => m.dispose?.()));
    }
  });
});
