import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerCoreBuiltins, type TokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../formats/safetensors/read.ts";
import { loadModel } from "../load-model.ts";
import { tinyFamilyConfigs } from "../testing/random-weights.ts";
import { referenceForward } from "../testing/reference-llama.ts";
import type { DecoderConfig, DecoderWeights, WeightTensor } from "../weights/types.ts";
import { decoderConfigFromHf } from "./config.ts";
import { hfConfigJson } from "./config-json.ts";
import { fusePhi3Tensors, phi3FusedNames, splitPhi3FusedTensors } from "./phi3-fused.ts";
import { writeRandomHfFolder } from "./write-random-folder.ts";

function errorOf(run: () => unknown): TokenscopeError {
  try {
    run();
  } catch (error) {
    return error as TokenscopeError;
  }
  throw new Error("expected an error");
}

// microsoft/Phi-3-mini-4k-instruct's config.json (the fields transformers reads).
const phi3Mini4k = {
  architectures: ["Phi3ForCausalLM"],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 1,
  embd_pdrop: 0.0,
  eos_token_id: 32000,
  hidden_act: "silu",
  hidden_size: 3072,
  initializer_range: 0.02,
  intermediate_size: 8192,
  max_position_embeddings: 4096,
  model_type: "phi3",
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 32,
  original_max_position_embeddings: 4096,
  pad_token_id: 32000,
  resid_pdrop: 0.0,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 10000.0,
  sliding_window: 2047,
  tie_word_embeddings: false,
  torch_dtype: "bfloat16",
  use_cache: true,
  vocab_size: 32064,
};

// microsoft/Phi-3-mini-128k-instruct: LongRoPE (48 factors per list, one per rotated pair).
const longFactors = Array.from({ length: 48 }, (_, i) => 1 + i / 10);
const phi3Mini128k = {
  ...phi3Mini4k,
  max_position_embeddings: 131072,
  sliding_window: 262144,
  rope_scaling: { type: "longrope", short_factor: longFactors, long_factor: longFactors },
};

describe("phi3 configs", () => {
  it("maps phi-3-mini-4k: Llama sizes, untied output, every layer windowed at 2047", () => {
    expect(decoderConfigFromHf(phi3Mini4k)).toEqual({
      architecture: "phi3",
      vocabSize: 32064,
      hiddenSize: 3072,
      intermediateSize: 8192,
      numLayers: 32,
      numHeads: 32,
      numKeyValueHeads: 32,
      headDim: 96,
      contextLength: 4096,
      rmsNormEps: 1e-5,
      ropeTheta: 10000,
      ropeStyle: "half",
      tieWordEmbeddings: false,
      bosTokenId: 1,
      eosTokenId: 32000,
      attentionBias: false,
      mlpBias: false,
      activation: "silu",
      slidingWindow: 2047,
    });
  });

  it("takes Phi3Config's defaults for absent fields and no window for a null sliding_window", () => {
    const {
      max_position_embeddings: _,
      rms_norm_eps: __,
      tie_word_embeddings: ___,
      num_key_value_heads: ____,
      ...bare
    } = phi3Mini4k;
    const config = decoderConfigFromHf({ ...bare, sliding_window: null });
    expect(config).toMatchObject({ contextLength: 4096, rmsNormEps: 1e-5, tieWordEmbeddings: false });
    expect(config.numKeyValueHeads).toBe(32);
    expect(config.slidingWindow).toBeUndefined();
    // transformers reads no bias fields for Phi-3: its projections never have biases.
    expect(decoderConfigFromHf({ ...phi3Mini4k, attention_bias: true, mlp_bias: true })).toMatchObject({
      attentionBias: false,
      mlpBias: false,
    });
  });

  it("reads LongRoPE (phi-3-mini-128k, also as su and in transformers 5's rope_parameters), with transformers' attention factor", () => {
    const shortFactor = longFactors.map((factor) => factor / 2);
    const json128k = {
      ...phi3Mini128k,
      rope_scaling: { ...phi3Mini128k.rope_scaling, short_factor: shortFactor },
    };
    // sqrt(1 + ln(131072 / 4096) / ln 4096) = sqrt(1 + 5/12).
    const expected = {
      type: "longrope",
      shortFactor,
      longFactor: longFactors,
      originalMaxPositionEmbeddings: 4096,
      attentionFactor: Math.sqrt(1 + 5 / 12),
    };
    const config = decoderConfigFromHf(json128k);
    expect(config.ropeScaling).toEqual(expected);
    expect(config.ropeScaling?.type === "longrope" && config.ropeScaling.attentionFactor).toBeCloseTo(
      1.19024,
      5,
    );
    expect(config.contextLength).toBe(131072);
    expect(
      decoderConfigFromHf({ ...json128k, rope_scaling: { ...json128k.rope_scaling, type: "su" } })
        .ropeScaling,
    ).toEqual(expected);
    const { rope_scaling: _, rope_theta: __, ...bare } = json128k;
    expect(
      decoderConfigFromHf({
        ...bare,
        rope_parameters: {
          ...json128k.rope_scaling,
          type: undefined,
          rope_type: "longrope",
          rope_theta: 10000,
        },
      }).ropeScaling,
    ).toEqual(expected);
    // A given attention_factor wins; no extension (max = original) gives 1.
    expect(
      decoderConfigFromHf({ ...json128k, rope_scaling: { ...json128k.rope_scaling, attention_factor: 1.5 } })
        .ropeScaling,
    ).toMatchObject({ attentionFactor: 1.5 });
    expect(decoderConfigFromHf({ ...json128k, max_position_embeddings: 4096 }).ropeScaling).toMatchObject({
      attentionFactor: 1,
    });
    // partial_rotary_factor 0.5 of head size 96 rotates 48 dimensions: 24 factors per list.
    const half = longFactors.slice(0, 24);
    expect(
      decoderConfigFromHf({
        ...json128k,
        partial_rotary_factor: 0.5,
        rope_scaling: { type: "longrope", short_factor: half, long_factor: half },
      }).ropeScaling,
    ).toMatchObject({ shortFactor: half, longFactor: half });
  });

  it("refuses malformed LongRoPE keys with MODEL_LOAD_FAILED naming the key", () => {
    const scaling = phi3Mini128k.rope_scaling;
    for (const [json, key] of [
      [{ ...phi3Mini128k, rope_scaling: { ...scaling, short_factor: longFactors.slice(1) } }, "short_factor"],
      [{ ...phi3Mini128k, rope_scaling: { ...scaling, long_factor: undefined } }, "long_factor"],
      [
        { ...phi3Mini128k, rope_scaling: { ...scaling, long_factor: [...longFactors.slice(1), 0] } },
        "long_factor",
      ],
      [
        { ...phi3Mini128k, rope_scaling: { ...scaling, short_factor: [...longFactors.slice(1), "2"] } },
        "short_factor",
      ],
      [
        { ...phi3Mini128k, rope_scaling: { ...scaling, long_factor: [...longFactors.slice(1), -1] } },
        "long_factor",
      ],
      [{ ...phi3Mini128k, partial_rotary_factor: 0.5 }, "short_factor"],
      [{ ...phi3Mini128k, max_position_embeddings: 2048 }, "original_max_position_embeddings"],
      [{ ...phi3Mini128k, rope_scaling: { ...scaling, attention_factor: 0 } }, "attention_factor"],
      [{ ...phi3Mini4k, rope_parameters: { rope_type: "longrope", rope_theta: 10000 } }, "short_factor"],
    ] as const) {
      const error = errorOf(() => decoderConfigFromHf(json));
      expect(error.code).toBe("MODEL_LOAD_FAILED");
      expect(error.message).toContain(key);
    }
  });

  it("refuses scalings Phi-3 does not take, naming rope_scaling type", () => {
    for (const [json, type] of [
      [{ ...phi3Mini4k, rope_scaling: { type: "linear", factor: 2 } }, "linear"],
      [{ ...phi3Mini4k, rope_scaling: { type: "yarn", factor: 2 } }, "yarn"],
    ] as const) {
      const error = errorOf(() => decoderConfigFromHf(json));
      expect(error.code).toBe("UNSUPPORTED_ARCHITECTURE");
      expect(error.message).toContain(`rope_scaling type "${type}"`);
    }
    expect(
      decoderConfigFromHf({ ...phi3Mini4k, rope_scaling: { type: "default" } }).ropeScaling,
    ).toBeUndefined();
  });

  it("refuses a sliding_window that is not a positive integer", () => {
    expect(errorOf(() => decoderConfigFromHf({ ...phi3Mini4k, sliding_window: 0 })).code).toBe(
      "MODEL_LOAD_FAILED",
    );
  });

  it("hfConfigJson writes a Phi3Config that reads back to the same config", () => {
    const config: DecoderConfig = { ...tinyFamilyConfigs["phi3"]!, slidingWindow: 5 };
    const json = hfConfigJson(config);
    expect(json).toMatchObject({
      architectures: ["Phi3ForCausalLM"],
      model_type: "phi3",
      sliding_window: 5,
      original_max_position_embeddings: config.contextLength,
      rope_scaling: null,
    });
    expect(json).not.toHaveProperty("head_dim");
    expect(decoderConfigFromHf(json)).toEqual({
      ...config,
      attentionBias: false,
      mlpBias: false,
      activation: "silu",
    });
  });

  it("hfConfigJson writes LongRoPE back as rope_scaling and the original context", () => {
    const ropeScaling = {
      type: "longrope" as const,
      shortFactor: [1, 1.5, 2, 3],
      longFactor: [2, 4, 7, 11],
      originalMaxPositionEmbeddings: 4,
      attentionFactor: 1.25,
    };
    const config: DecoderConfig = { ...tinyFamilyConfigs["phi3"]!, contextLength: 32, ropeScaling };
    const json = hfConfigJson(config);
    expect(json).toMatchObject({ original_max_position_embeddings: 4, max_position_embeddings: 32 });
    expect(decoderConfigFromHf(json).ropeScaling).toEqual(ropeScaling);
  });
});

/** A matrix [rows, cols] whose entry (r, c) is `100 r + c`: every row tells where it came from. */
function numberedRows(rows: number, cols: number): WeightTensor {
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = 100 * r + c;
  return { dims: [rows, cols], data };
}

describe("splitting Phi-3's fused matrices", () => {
  // 2 query heads and 1 key/value head of size 2: q rows 0-3, k rows 4-5, v rows 6-7; gate rows 0-2, up 3-5.
  const config: DecoderConfig = {
    ...tinyFamilyConfigs["phi3"]!,
    hiddenSize: 3,
    numHeads: 2,
    numKeyValueHeads: 1,
    headDim: 2,
    intermediateSize: 3,
    numLayers: 1,
  };
  const rowsOf = (tensor: WeightTensor | undefined) => {
    const cols = tensor!.dims[1]!;
    return Array.from({ length: tensor!.dims[0]! }, (_, r) =>
      Array.from(tensor!.data.slice(r * cols, (r + 1) * cols)),
    );
  };

  it("puts known rows into q, k, v, gate and up, and fusing gives the checkpoint back", () => {
    const fused = new Map<string, WeightTensor>([
      [phi3FusedNames.qkv(0), numberedRows(8, 3)],
      [phi3FusedNames.gateUp(0), numberedRows(6, 3)],
    ]);
    const tensors = new Map(fused);
    splitPhi3FusedTensors(config, tensors, "test");
    const rows = (name: string) => rowsOf(tensors.get(`model.layers.0.${name}.weight`));
    expect(rows("self_attn.q_proj")).toEqual([
      [0, 1, 2],
      [100, 101, 102],
      [200, 201, 202],
      [300, 301, 302],
    ]);
    expect(rows("self_attn.k_proj")).toEqual([
      [400, 401, 402],
      [500, 501, 502],
    ]);
    expect(rows("self_attn.v_proj")).toEqual([
      [600, 601, 602],
      [700, 701, 702],
    ]);
    expect(rows("mlp.gate_proj")).toEqual([
      [0, 1, 2],
      [100, 101, 102],
      [200, 201, 202],
    ]);
    expect(rows("mlp.up_proj")).toEqual([
      [300, 301, 302],
      [400, 401, 402],
      [500, 501, 502],
    ]);
    expect(tensors.has(phi3FusedNames.qkv(0))).toBe(false);
    const refused = fusePhi3Tensors(config, tensors);
    expect([...refused.keys()].sort()).toEqual([...fused.keys()].sort());
    for (const [name, tensor] of fused) expect(refused.get(name)).toEqual(tensor);
  });

  it("names a missing or misshapen fused matrix with MODEL_LOAD_FAILED", () => {
    const missing = new Map([[phi3FusedNames.qkv(0), numberedRows(8, 3)]]);
    const error = errorOf(() => splitPhi3FusedTensors(config, missing, "test"));
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain("mlp.gate_up_proj.weight is missing");
    const misshapen = new Map([
      [phi3FusedNames.qkv(0), numberedRows(6, 3)],
      [phi3FusedNames.gateUp(0), numberedRows(6, 3)],
    ]);
    expect(errorOf(() => splitPhi3FusedTensors(config, misshapen, "test")).message).toContain(
      "self_attn.qkv_proj.weight has dims [6,3], expected [8,3]",
    );
  });
});

/**
 * The Llama weights of a Phi-3 checkpoint, split here by slicing rows of the fused matrices
 * (independently of the loader): q, k, v from `qkv_proj`, gate then up from `gate_up_proj`.
 */
function splitByHand(config: DecoderConfig, file: Map<string, WeightTensor>): DecoderWeights {
  const hidden = config.hiddenSize;
  const q = config.numHeads * config.headDim;
  const kv = config.numKeyValueHeads * config.headDim;
  const ffn = config.intermediateSize;
  const rows = (tensor: WeightTensor, from: number, count: number): WeightTensor => ({
    dims: [count, hidden],
    data: tensor.data.slice(from * hidden, (from + count) * hidden),
  });
  const tensors = new Map<string, WeightTensor>();
  for (const [name, tensor] of file) {
    const qkv = /^model\.layers\.(\d+)\.self_attn\.qkv_proj\.weight$/.exec(name);
    const gateUp = /^model\.layers\.(\d+)\.mlp\.gate_up_proj\.weight$/.exec(name);
    if (qkv) {
      const prefix = `model.layers.${qkv[1]}.self_attn`;
      tensors.set(`${prefix}.q_proj.weight`, rows(tensor, 0, q));
      tensors.set(`${prefix}.k_proj.weight`, rows(tensor, q, kv));
      tensors.set(`${prefix}.v_proj.weight`, rows(tensor, q + kv, kv));
    } else if (gateUp) {
      const prefix = `model.layers.${gateUp[1]}.mlp`;
      tensors.set(`${prefix}.gate_proj.weight`, rows(tensor, 0, ffn));
      tensors.set(`${prefix}.up_proj.weight`, rows(tensor, ffn, ffn));
    } else {
      tensors.set(name, tensor);
    }
  }
  return { config, tensors };
}

describe("a random phi3 folder", () => {
  registerCoreBuiltins();
  const folder = mkdtempSync(join(tmpdir(), "tokenscope-phi3-"));

  it("stores fused qkv_proj / gate_up_proj, loads through loadModel and matches the Llama reference on the hand-split weights within 1e-4", async () => {
    const out = join(folder, "phi3");
    const { config } = await writeRandomHfFolder({
      architecture: "phi3",
      layers: 2,
      hidden: 32,
      heads: 4,
      kvHeads: 2,
      vocab: 300,
      seed: 7,
      out,
    });
    const file = readSafetensors(new Uint8Array(readFileSync(join(out, "model.safetensors"))));
    const names = [...file.tensors.keys()];
    expect(names).toContain("model.layers.1.self_attn.qkv_proj.weight");
    expect(names).toContain("model.layers.1.mlp.gate_up_proj.weight");
    expect(names).toContain("lm_head.weight");
    expect(names.filter((name) => /\.(q|k|v|gate|up)_proj\./.test(name))).toEqual([]);
    expect(file.tensors.get("model.layers.0.self_attn.qkv_proj.weight")!.dims).toEqual([(4 + 2 * 2) * 8, 32]);
    expect(file.tensors.get("model.layers.0.mlp.gate_up_proj.weight")!.dims).toEqual([2 * 96, 32]);

    const stored = new Map<string, WeightTensor>();
    for (const [name, tensor] of file.tensors) {
      expect(tensor.dtype).toBe("F32");
      const bytes = tensor.bytes.slice();
      stored.set(name, { dims: tensor.dims, data: new Float32Array(bytes.buffer, 0, bytes.length / 4) });
    }
    const reference = splitByHand(config, stored);

    const model = await loadModel(out);
    const ids = (await model.tokenize("the cat sat on the mat.")).tokens.map((token) => token.id!);
    expect(ids.length).toBeGreaterThan(3);
    const { logits } = await model.forward!({ inputs: { ids: [ids] } });
    const expected = referenceForward(reference, ids);
    expect(logits.dims).toEqual([1, ids.length, 300]);
    let worst = 0;
    for (let i = 0; i < logits.data.length; i++)
      worst = Math.max(worst, Math.abs(logits.data[i]! - expected.data[i]!));
    const spread = Math.max(...expected.data) - Math.min(...expected.data);
    expect(spread).toBeGreaterThan(0.5);
    expect(worst).toBeLessThan(1e-4);
    await model.dispose?.();
  });
});
