import { seededNormal } from "@tokenscope/core";
import type { RuntimeTensor } from "@tokenscope/tensor-backends";
import { describe, expect, it } from "vitest";
import type { WeightTensor } from "../../weights/types.ts";
import { floatTensor, int64Rows, maxAbsDiff, sessionOf } from "../run.test-helpers.ts";
import { type BartGraph, type BartWeights, buildBartGraph } from "./bart.ts";
import {
  buildBartCachedDecoderGraph,
  buildBartCrossKeyValueGraph,
  buildBartEncoderGraph,
} from "./bart-cached-decoder.ts";
import { type BartConfig, bartConfigFromHf } from "./bart-config.ts";
import { bartTensorDims } from "./bart-names.ts";
import { type BartReferenceValueScale, referenceBartLogits } from "./bart-reference.test-helpers.ts";

const VOCAB = 37;
const D = 16;
const HEADS = 4;
const FFN = 32;

const base = {
  vocabSize: VOCAB,
  hiddenSize: D,
  encoderLayers: 2,
  decoderLayers: 2,
  numHeads: HEADS,
  headDim: D / HEADS,
  encoderFfn: FFN,
  decoderFfn: FFN,
  layerNormEps: 1e-5,
  maxPositionEmbeddings: 32,
  decoderStartTokenId: 2,
  eosTokenId: 2,
  padTokenId: 1,
  finalLogitsBias: true,
} as const;

/** One small config per family, as `modeling_bart` / `_mbart` / `_marian` build them. */
const variants: Record<BartConfig["architecture"], BartConfig> = {
  bart: {
    ...base,
    architecture: "bart",
    activation: "gelu",
    scaleEmbedding: false,
    positions: "learned",
    normPosition: "post",
    layernormEmbedding: true,
    // Untied, to exercise lm_head.weight and the stacks' own embed_tokens.
    tieWordEmbeddings: false,
  },
  mbart: {
    ...base,
    architecture: "mbart",
    activation: "gelu",
    scaleEmbedding: true,
    positions: "learned",
    normPosition: "pre",
    layernormEmbedding: true,
    tieWordEmbeddings: true,
  },
  marian: {
    ...base,
    architecture: "marian",
    activation: "swish",
    scaleEmbedding: true,
    positions: "sinusoidal",
    normPosition: "post",
    layernormEmbedding: false,
    tieWordEmbeddings: true,
  },
};

/** Random weights, std 0.2 (LayerNorm scales 1 + 0.2 n), fixed by `seed`. */
function randomWeights(config: BartConfig, seed: number): BartWeights {
  const normal = seededNormal(seed);
  const dims = bartTensorDims(config);
  if (!config.tieWordEmbeddings) {
    // Separate stack tables, as an untied checkpoint may store them: each stack must read its own.
    dims.set("model.encoder.embed_tokens.weight", [VOCAB, D]);
    dims.set("model.decoder.embed_tokens.weight", [VOCAB, D]);
  }
  const tensors = new Map<string, WeightTensor>();
  for (const [name, shape] of [...dims].sort(([a], [b]) => a.localeCompare(b))) {
    const isNormScale = shape.length === 1 && /norm[^.]*\.weight$/.test(name);
    const size = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: size }, () => (isNormScale ? 1 : 0) + 0.2 * normal());
    tensors.set(name, { dims: shape, data });
  }
  return { config, tensors };
}

const weightsOf = new Map(
  Object.entries(variants).map(([family, config], index) => [family, randomWeights(config, 11 + index)]),
);
/** The same weights with another activation (gelu_new beside exact GELU in the float64 checks). */
const withActivation = (weights: BartWeights, activation: BartConfig["activation"]): BartWeights => ({
  config: { ...weights.config, activation },
  tensors: weights.tensors,
});

const source = [5, 17, 3, 29, 2];
const target = [2, 8, 21, 36];
const ones = (row: readonly number[]) => row.map(() => 1);
const flat = (rows: Float64Array[]) => Float64Array.from(rows.flatMap((row) => [...row]));

async function run(
  graph: BartGraph,
  feeds: { source: number[][]; target: number[][]; sourceMask?: number[][]; targetMask?: number[][] },
  extra: Record<string, RuntimeTensor> = {},
): Promise<Record<string, RuntimeTensor>> {
  return (await sessionOf(graph.model)).run({
    input_ids: int64Rows(feeds.source),
    attention_mask: int64Rows(feeds.sourceMask ?? feeds.source.map(ones)),
    decoder_input_ids: int64Rows(feeds.target),
    decoder_attention_mask: int64Rows(feeds.targetMask ?? feeds.target.map(ones)),
    ...extra,
  });
}

const logitsData = (outputs: Record<string, RuntimeTensor>) =>
  Float64Array.from(outputs["logits"]!.data as Float32Array | Float64Array);

describe("bartConfigFromHf", () => {
  const bartLarge = {
    model_type: "bart",
    vocab_size: 50265,
    d_model: 1024,
    encoder_layers: 12,
    decoder_layers: 12,
    encoder_attention_heads: 16,
    decoder_attention_heads: 16,
    encoder_ffn_dim: 4096,
    decoder_ffn_dim: 4096,
    activation_function: "gelu",
    scale_embedding: false,
    max_position_embeddings: 1024,
    pad_token_id: 1,
    eos_token_id: 2,
    decoder_start_token_id: 2,
    forced_bos_token_id: 0,
    normalize_before: false,
  };

  it("reads BART, mBART and Marian configs", () => {
    expect(bartConfigFromHf(bartLarge)).toMatchObject({
      architecture: "bart",
      hiddenSize: 1024,
      numHeads: 16,
      headDim: 64,
      positions: "learned",
      normPosition: "post",
      layernormEmbedding: true,
      forcedBosTokenId: 0,
      tieWordEmbeddings: true,
    });
    expect(
      bartConfigFromHf({ ...bartLarge, model_type: "mbart", scale_embedding: true, vocab_size: 250027 }),
    ).toMatchObject({ architecture: "mbart", normPosition: "pre", scaleEmbedding: true, vocabSize: 250027 });
    const opus = {
      ...bartLarge,
      model_type: "marian",
      vocab_size: 58101,
      decoder_vocab_size: 58101,
      d_model: 512,
      encoder_layers: 6,
      decoder_layers: 6,
      encoder_attention_heads: 8,
      decoder_attention_heads: 8,
      encoder_ffn_dim: 2048,
      decoder_ffn_dim: 2048,
      activation_function: "swish",
      scale_embedding: true,
      max_position_embeddings: 512,
      pad_token_id: 58100,
      eos_token_id: 0,
      decoder_start_token_id: 58100,
      forced_bos_token_id: undefined,
    };
    const marian = bartConfigFromHf(opus);
    expect(marian).toMatchObject({
      architecture: "marian",
      positions: "sinusoidal",
      normPosition: "post",
      layernormEmbedding: false,
      activation: "swish",
      padTokenId: 58100,
      eosTokenId: 0,
      decoderStartTokenId: 58100,
    });
    expect(marian.forcedBosTokenId).toBeUndefined();
  });

  it("refuses malformed values with typed errors", () => {
    const code = (json: unknown) => {
      try {
        bartConfigFromHf(json);
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return "none";
    };
    expect(code("bart")).toBe("INVALID_INPUT");
    expect(code({ ...bartLarge, d_model: 0 })).toBe("MODEL_LOAD_FAILED");
    expect(code({ ...bartLarge, d_model: 1000 })).toBe("MODEL_LOAD_FAILED");
    expect(code({ ...bartLarge, encoder_layers: undefined })).toBe("MODEL_LOAD_FAILED");
    expect(code({ ...bartLarge, pad_token_id: -1 })).toBe("MODEL_LOAD_FAILED");
    expect(code({ ...bartLarge, scale_embedding: "yes" })).toBe("MODEL_LOAD_FAILED");
    expect(code({ ...bartLarge, model_type: "t5" })).toBe("UNSUPPORTED_ARCHITECTURE");
    expect(code({ ...bartLarge, activation_function: "tanh" })).toBe("UNSUPPORTED_ARCHITECTURE");
    expect(code({ ...bartLarge, decoder_attention_heads: 8 })).toBe("UNSUPPORTED_ARCHITECTURE");
  });
});

describe.each(Object.keys(variants))("buildBartGraph: %s", (family) => {
  const weights = weightsOf.get(family)!;
  const { config } = weights;

  it("gives the independent float64 reference's logits within 1e-4 (float32)", async () => {
    const graph = buildBartGraph(weights);
    expect(graph.inputNames).toEqual([
      "input_ids",
      "attention_mask",
      "decoder_input_ids",
      "decoder_attention_mask",
    ]);
    const outputs = await run(graph, { source: [source], target: [target] });
    expect(outputs["logits"]!.dims).toEqual([1, target.length, VOCAB]);
    const reference = flat(referenceBartLogits(config, weights.tensors, source, target));
    const diff = maxAbsDiff(logitsData(outputs), reference);
    expect(diff).toBeLessThan(1e-4);
    // The logits are not trivially small: the tolerance means something.
    expect(Math.max(...reference.map(Math.abs))).toBeGreaterThan(0.5);
  });

  it("gives the reference's logits within 1e-9 in float64, exact GELU included (erfFloat64)", async () => {
    const graph = buildBartGraph(weights, { dataType: "float64" });
    const outputs = await run(graph, { source: [source], target: [target] });
    const reference = flat(referenceBartLogits(config, weights.tensors, source, target));
    expect(maxAbsDiff(outputs["logits"]!.data as Float64Array, reference)).toBeLessThan(1e-9);
    if (config.activation === "gelu") {
      // gelu_new too (Tanh): the two activations are both exact in float64.
      const tanh = withActivation(weights, "gelu_new");
      const tanhOutputs = await run(buildBartGraph(tanh, { dataType: "float64" }), {
        source: [source],
        target: [target],
      });
      const tanhReference = flat(referenceBartLogits(tanh.config, tanh.tensors, source, target));
      expect(maxAbsDiff(tanhOutputs["logits"]!.data as Float64Array, tanhReference)).toBeLessThan(1e-9);
    }
  });

  it("takes unscaled embedding rows as inputs_embeds", async () => {
    const graph = buildBartGraph(weights, { input: "embeds" });
    expect(graph.inputNames).toEqual([
      "inputs_embeds",
      "attention_mask",
      "decoder_inputs_embeds",
      "decoder_attention_mask",
    ]);
    const table = (stack: string) =>
      (
        weights.tensors.get(`model.${stack}.embed_tokens.weight`) ??
        weights.tensors.get("model.shared.weight")!
      ).data;
    const rows = (ids: number[], stack: string) =>
      ids.flatMap((id) => [...table(stack).subarray(id * D, (id + 1) * D)]);
    const outputs = await (await sessionOf(graph.model)).run({
      inputs_embeds: floatTensor(rows(source, "encoder"), [1, source.length, D]),
      attention_mask: int64Rows([ones(source)]),
      decoder_inputs_embeds: floatTensor(rows(target, "decoder"), [1, target.length, D]),
      decoder_attention_mask: int64Rows([ones(target)]),
    });
    const reference = flat(referenceBartLogits(config, weights.tensors, source, target));
    expect(maxAbsDiff(logitsData(outputs), reference)).toBeLessThan(1e-4);
  });

  it("gives each row of a right-padded batch the logits it has alone", async () => {
    const graph = buildBartGraph(weights);
    const shortSource = [9, 4];
    const shortTarget = [2, 30];
    const pad = (row: number[], length: number) => [
      ...row,
      ...Array<number>(length - row.length).fill(config.padTokenId),
    ];
    const maskOf = (row: number[], length: number) => [
      ...ones(row),
      ...Array<number>(length - row.length).fill(0),
    ];
    const batched = logitsData(
      await run(graph, {
        source: [pad(shortSource, source.length), source],
        target: [pad(shortTarget, target.length), target],
        sourceMask: [maskOf(shortSource, source.length), ones(source)],
        targetMask: [maskOf(shortTarget, target.length), ones(target)],
      }),
    );
    const alone = logitsData(await run(graph, { source: [shortSource], target: [shortTarget] }));
    const longAlone = logitsData(await run(graph, { source: [source], target: [target] }));
    const width = target.length * VOCAB;
    expect(maxAbsDiff(batched.subarray(0, shortTarget.length * VOCAB), alone)).toBeLessThan(1e-5);
    expect(maxAbsDiff(batched.subarray(width, 2 * width), longAlone)).toBeLessThan(1e-5);
  });

  it("exposes taps under the stable names, with attention rows summing to 1", async () => {
    const [s, t] = [source.length, target.length];
    const taps: Record<string, number[]> = {
      encoder_hidden_states: [1, s, D],
      "encoder.embeddings": [1, s, D],
      "decoder.embeddings": [1, t, D],
      "encoder.residual.1": [1, s, D],
      "decoder.residual.0": [1, t, D],
      "encoder.mlp.0": [1, s, FFN],
      "decoder.mlp.1": [1, t, FFN],
      "encoder.attention_probs.0": [1, HEADS, s, s],
      "decoder.attention_probs.1": [1, HEADS, t, t],
      "cross.attention_probs.1": [1, HEADS, t, s],
      "encoder.values.1": [1, HEADS, s, D / HEADS],
      "decoder.values.0": [1, HEADS, t, D / HEADS],
      "cross.values.0": [1, HEADS, s, D / HEADS],
    };
    const graph = buildBartGraph(weights, { taps: Object.keys(taps), dataType: "float64" });
    expect(graph.outputNames).toEqual(["logits", ...Object.keys(taps)]);
    const outputs = await run(graph, { source: [source], target: [target] });
    for (const [name, dims] of Object.entries(taps)) expect(outputs[name]?.dims, name).toEqual(dims);
    for (const name of [
      "encoder.attention_probs.0",
      "decoder.attention_probs.1",
      "cross.attention_probs.1",
    ]) {
      const probs = outputs[name]!;
      const keys = probs.dims[3]!;
      const data = probs.data as Float64Array;
      for (let row = 0; row < data.length / keys; row++) {
        const sum = data.subarray(row * keys, (row + 1) * keys).reduce((a, b) => a + b, 0);
        expect(sum, `${name} row ${row}`).toBeCloseTo(1, 12);
      }
    }
    // Decoder self-attention is causal: query 0 sees only key 0.
    const decoderProbs = outputs["decoder.attention_probs.1"]!.data as Float64Array;
    expect(decoderProbs[0]).toBeCloseTo(1, 12);
    // The last residual of a post-norm encoder is its output; mBART's adds the final norm.
    const last = outputs["encoder.residual.1"]!.data as Float64Array;
    const memory = outputs["encoder_hidden_states"]!.data as Float64Array;
    expect(maxAbsDiff(last, memory) === 0).toBe(config.normPosition === "post");
  });

  it("zeroes the value vectors its value masks name, as the reference does, in each kind of attention", async () => {
    const exact = config.activation === "gelu" ? withActivation(weights, "gelu_new") : weights;
    const graph = buildBartGraph(exact, { valueZeroing: true, dataType: "float64" });
    expect(graph.inputNames).toContain("cross.value_mask.1");
    const zeroed = (kind: string, layer: number, head: number, key: number) =>
      (kind === "encoder" && layer === 1 && head === 3 && key === 2) ||
      (kind === "decoder" && layer === 1 && key === 1) ||
      (kind === "cross" && layer === 0 && (head === 0 || head === 2) && key === 4);
    const maskFeeds = (scale: BartReferenceValueScale) => {
      const feeds: Record<string, RuntimeTensor> = {};
      for (const kind of ["encoder", "decoder", "cross"] as const) {
        const keys = kind === "decoder" ? target.length : source.length;
        for (let layer = 0; layer < 2; layer++) {
          const data = Array.from({ length: HEADS * keys }, (_, i) =>
            scale(kind, layer, Math.floor(i / keys), i % keys),
          );
          feeds[`${kind}.value_mask.${layer}`] = floatTensor(data, [1, HEADS, keys], "float64");
        }
      }
      return feeds;
    };
    const logitsWith = async (scale: BartReferenceValueScale) =>
      (await run(graph, { source: [source], target: [target] }, maskFeeds(scale)))["logits"]!
        .data as Float64Array;
    const plain = flat(referenceBartLogits(exact.config, exact.tensors, source, target));
    expect(maxAbsDiff(await logitsWith(() => 1), plain)).toBeLessThan(1e-9);
    for (const kind of ["encoder", "decoder", "cross"]) {
      const scale: BartReferenceValueScale = (k, layer, head, key) =>
        k === kind && zeroed(k, layer, head, key) ? 0 : 1;
      const reference = flat(referenceBartLogits(exact.config, exact.tensors, source, target, scale));
      const logits = await logitsWith(scale);
      expect(maxAbsDiff(logits, reference), kind).toBeLessThan(1e-9);
      // The zeroing changes the logits: the test would catch a mask that is ignored.
      expect(maxAbsDiff(logits, plain), kind).toBeGreaterThan(1e-4);
    }
  });
});

describe("buildBartGraph options", () => {
  it("refuses unknown options and taps with INVALID_INPUT", () => {
    const weights = weightsOf.get("marian")!;
    expect(() => buildBartGraph(weights, { taps: ["attention_probs.0"] })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
    expect(() => buildBartGraph(weights, { input: "tokens" as "ids" })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
    expect(() => buildBartGraph(weights, { dataType: "float16" as "float32" })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
  });

  it("says which tensor is missing with MODEL_LOAD_FAILED", () => {
    const weights = weightsOf.get("mbart")!;
    const tensors = new Map(weights.tensors);
    tensors.delete("model.shared.weight");
    expect(() => buildBartGraph({ config: weights.config, tensors })).toThrow(
      expect.objectContaining({ code: "MODEL_LOAD_FAILED" }),
    );
  });
});

describe.each(Object.keys(variants))("incremental %s graphs", (family) => {
  const weights = weightsOf.get(family)!;
  const { config } = weights;
  const headDim = D / HEADS;

  /** Zero-length caches for every decoder layer, the first step's `past_*`. */
  const emptyPast = (rows: number) => {
    const past: Record<string, RuntimeTensor> = {};
    for (let layer = 0; layer < config.decoderLayers; layer++) {
      for (const kind of ["key", "value"])
        past[`past_${kind}.${layer}`] = floatTensor([], [rows, HEADS, 0, headDim]);
    }
    return past;
  };

  it("takes the cache and cross keys and values under stable names, without encoder weights", () => {
    const model = buildBartCachedDecoderGraph(weights);
    const inputs = model.graph.inputs.map((value) => value.name);
    expect(inputs.slice(0, 3)).toEqual(["decoder_input_ids", "decoder_attention_mask", "attention_mask"]);
    expect(inputs).toContain("past_key.1");
    expect(inputs).toContain("cross_value.0");
    expect(inputs).toHaveLength(3 + 4 * config.decoderLayers);
    expect(model.graph.outputs.map((value) => value.name).slice(0, 3)).toEqual([
      "logits",
      "present_key.0",
      "present_value.0",
    ]);
    const initializers = model.graph.initializers.map((tensor) => tensor.name);
    expect(initializers.some((name) => name.startsWith("model.encoder."))).toBe(false);
    expect(initializers.some((name) => /encoder_attn\.[kv]_proj/.test(name))).toBe(false);
    expect(buildBartCrossKeyValueGraph(weights).graph.outputs).toHaveLength(2 * config.decoderLayers);
  });

  it("decodes greedily step by step with the full graph's logits within 1e-5", async () => {
    const full = buildBartGraph(weights, { taps: ["encoder_hidden_states"] });
    const fullMemory = (await run(full, { source: [source], target: [[config.decoderStartTokenId]] }))[
      "encoder_hidden_states"
    ]!;
    const memory = (
      await (
        await sessionOf(buildBartEncoderGraph(weights))
      ).run({
        input_ids: int64Rows([source]),
        attention_mask: int64Rows([ones(source)]),
      })
    )["encoder_hidden_states"]!;
    expect(maxAbsDiff(memory.data as Float32Array, fullMemory.data as Float32Array)).toBe(0);
    const crossFeeds = await (await sessionOf(buildBartCrossKeyValueGraph(weights))).run({
      encoder_hidden_states: memory,
    });
    const session = await sessionOf(buildBartCachedDecoderGraph(weights));
    let past = emptyPast(1);
    const tokens = [config.decoderStartTokenId];
    const stepLogits: Float32Array[] = [];
    for (let step = 0; step < 6; step++) {
      const outputs = await session.run({
        decoder_input_ids: int64Rows([[tokens.at(-1)!]]),
        decoder_attention_mask: int64Rows([ones(tokens)]),
        attention_mask: int64Rows([ones(source)]),
        ...crossFeeds,
        ...past,
      });
      const logits = outputs["logits"]!;
      expect(logits.dims).toEqual([1, 1, VOCAB]);
      stepLogits.push(logits.data as Float32Array);
      const row = logits.data as Float32Array;
      let best = 0;
      for (let id = 1; id < VOCAB; id++) if (row[id]! > row[best]!) best = id;
      tokens.push(best);
      past = {};
      for (let layer = 0; layer < config.decoderLayers; layer++) {
        for (const kind of ["key", "value"]) {
          const present = outputs[`present_${kind}.${layer}`]!;
          expect(present.dims).toEqual([1, HEADS, step + 1, headDim]);
          past[`past_${kind}.${layer}`] = present;
        }
      }
    }
    const decoded = tokens.slice(0, -1);
    const fullLogits = logitsData(await run(full, { source: [source], target: [decoded] }));
    for (const [step, logits] of stepLogits.entries()) {
      const diff = maxAbsDiff(logits, fullLogits.subarray(step * VOCAB, (step + 1) * VOCAB));
      expect(diff, `step ${step}`).toBeLessThan(1e-5);
    }
  });

  it("gives each real position of a right-padded batch the full graph's logits, a prefix at once", async () => {
    const shortSource = [9, 4];
    const shortTarget = [2, 30, 7];
    const longTarget = [2, 8, 21, 36, 5];
    const [s, t] = [source.length, longTarget.length];
    const pad = (row: number[], length: number) => [
      ...row,
      ...Array<number>(length - row.length).fill(config.padTokenId),
    ];
    const maskOf = (row: number[], length: number) => [
      ...ones(row),
      ...Array<number>(length - row.length).fill(0),
    ];
    const batch = {
      source: [pad(shortSource, s), source],
      target: [pad(shortTarget, t), longTarget],
      sourceMask: [maskOf(shortSource, s), ones(source)],
      targetMask: [maskOf(shortTarget, t), ones(longTarget)],
    };
    const full = buildBartGraph(weights, { taps: ["encoder_hidden_states"] });
    const fullOutputs = await run(full, batch);
    const fullLogits = logitsData(fullOutputs);
    const crossFeeds = await (await sessionOf(buildBartCrossKeyValueGraph(weights))).run({
      encoder_hidden_states: fullOutputs["encoder_hidden_states"]!,
    });
    const session = await sessionOf(buildBartCachedDecoderGraph(weights));
    let past = emptyPast(2);
    let start = 0;
    // Two tokens at once (a forced prefix), then one a step.
    for (const size of [2, 1, 1, 1]) {
      const outputs = await session.run({
        decoder_input_ids: int64Rows(batch.target.map((row) => row.slice(start, start + size))),
        decoder_attention_mask: int64Rows(batch.targetMask.map((row) => row.slice(0, start + size))),
        attention_mask: int64Rows(batch.sourceMask),
        ...crossFeeds,
        ...past,
      });
      const logits = Float64Array.from(outputs["logits"]!.data as Float32Array);
      for (const [row, length] of [shortTarget.length, longTarget.length].entries()) {
        for (let i = 0; i < size; i++) {
          const position = start + i;
          if (position >= length) continue;
          const got = logits.subarray((row * size + i) * VOCAB, (row * size + i + 1) * VOCAB);
          const want = fullLogits.subarray((row * t + position) * VOCAB, (row * t + position + 1) * VOCAB);
          expect(maxAbsDiff(got, want), `row ${row}, position ${position}`).toBeLessThan(1e-5);
        }
      }
      start += size;
      past = {};
      for (let layer = 0; layer < config.decoderLayers; layer++) {
        for (const kind of ["key", "value"])
          past[`past_${kind}.${layer}`] = outputs[`present_${kind}.${layer}`]!;
      }
    }
  });
});
