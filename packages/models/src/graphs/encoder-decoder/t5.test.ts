import { seededNormal } from "@tokenscope/core";
import { buildGradientGraph, type RuntimeTensor } from "@tokenscope/tensor-backends";
import { describe, expect, it } from "vitest";
import type { WeightTensor } from "../../weights/types.ts";
import { createGraphContext } from "../context.ts";
import { floatTensor, int64Rows, maxAbsDiff, sessionOf } from "../run.test-helpers.ts";
import { buildT5Graph, type T5Graph, type T5Weights } from "./t5.ts";
import { t5ContextConfig } from "./t5-blocks.ts";
import {
  buildT5CachedDecoderGraph,
  buildT5CrossKeyValueGraph,
  buildT5EncoderGraph,
} from "./t5-cached-decoder.ts";
import { type T5Config, t5ConfigFromHf } from "./t5-config.ts";
import { t5TensorDims } from "./t5-names.ts";
import { referenceRelativeBucket, referenceT5Logits } from "./t5-reference.test-helpers.ts";
import { t5RelativePositionBias, t5RelativePositionBucket } from "./t5-relative-positions.ts";

const VOCAB = 37;
const HEADS = 4;
const HEAD_DIM = 4;

/** A tiny T5 as `config.json` would describe it: d_model 16, inner 16, 2 + 2 layers, 8 buckets, distance 20. */
function tinyConfig(feedForward: "relu" | "gated-gelu", tied: boolean): T5Config {
  return t5ConfigFromHf({
    model_type: "t5",
    vocab_size: VOCAB,
    d_model: 16,
    d_kv: HEAD_DIM,
    d_ff: 32,
    num_layers: 2,
    num_decoder_layers: 2,
    num_heads: HEADS,
    relative_attention_num_buckets: 8,
    relative_attention_max_distance: 20,
    feed_forward_proj: feedForward,
    tie_word_embeddings: tied,
  });
}

/** Random weights from a seed: std 0.2, norm weights around 1 (so the norms are not a no-op). */
function randomWeights(config: T5Config, seed: number): T5Weights {
  const normal = seededNormal(seed);
  const tensors = new Map<string, WeightTensor>();
  for (const [name, dims] of t5TensorDims(config)) {
    const size = dims.reduce((a, b) => a * b, 1);
    const isNorm = name.endsWith("layer_norm.weight");
    tensors.set(name, {
      dims,
      data: Float32Array.from({ length: size }, () => (isNorm ? 1 : 0) + 0.2 * normal()),
    });
  }
  return { config, tensors };
}

const variants = [
  { name: "relu, tied (T5 v1.0)", weights: randomWeights(tinyConfig("relu", true), 5) },
  { name: "gated-gelu, untied (flan-t5)", weights: randomWeights(tinyConfig("gated-gelu", false), 11) },
];

// 12 source tokens: encoder distances reach 11 (> max_exact 2 of the 4 per-sign buckets), so the
// log buckets are used; 7 targets reach decoder distance 6 (> max_exact 4).
const SOURCE = [3, 17, 8, 1, 25, 30, 4, 12, 9, 36, 2, 1];
const TARGET = [0, 5, 22, 14, 7, 33, 19];
const ones = (row: readonly number[]) => row.map(() => 1);
const flat = (rows: Float64Array[]) => Float64Array.from(rows.flatMap((row) => [...row]));

async function run(graph: T5Graph, feeds: Record<string, RuntimeTensor>) {
  return (await sessionOf(graph.model)).run(feeds);
}

function idFeeds(
  sources: readonly (readonly number[])[],
  targets: readonly (readonly number[])[],
  masks?: { source: number[][]; target: number[][] },
): Record<string, RuntimeTensor> {
  return {
    input_ids: int64Rows(sources),
    attention_mask: int64Rows(masks?.source ?? sources.map(ones)),
    decoder_input_ids: int64Rows(targets),
    decoder_attention_mask: int64Rows(masks?.target ?? targets.map(ones)),
  };
}

describe("t5ConfigFromHf", () => {
  it("reads a flan-t5 config.json with T5Config's defaults", () => {
    const config = t5ConfigFromHf({
      model_type: "t5",
      vocab_size: 32128,
      d_model: 512,
      d_kv: 64,
      d_ff: 1024,
      num_layers: 8,
      num_heads: 6,
      feed_forward_proj: "gated-gelu",
      tie_word_embeddings: false,
    });
    expect(config).toEqual({
      architecture: "t5",
      vocabSize: 32128,
      hiddenSize: 512,
      numHeads: 6,
      headDim: 64,
      ffnSize: 1024,
      encoderLayers: 8,
      decoderLayers: 8,
      feedForward: "gated-gelu",
      relativeBuckets: 32,
      relativeMaxDistance: 128,
      layerNormEps: 1e-6,
      tieWordEmbeddings: false,
      decoderStartTokenId: 0,
      eosTokenId: 1,
      padTokenId: 0,
    });
  });

  it("refuses other model types, feed-forwards and malformed values", () => {
    const base = {
      model_type: "t5",
      vocab_size: 10,
      d_model: 8,
      d_kv: 2,
      d_ff: 8,
      num_layers: 1,
      num_heads: 4,
    };
    expect(() => t5ConfigFromHf({ ...base, model_type: "bart" })).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_ARCHITECTURE" }),
    );
    expect(() => t5ConfigFromHf({ ...base, feed_forward_proj: "gated-swish" })).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_ARCHITECTURE" }),
    );
    expect(() => t5ConfigFromHf({ ...base, d_kv: 0 })).toThrow(
      expect.objectContaining({ code: "MODEL_LOAD_FAILED" }),
    );
    expect(() => t5ConfigFromHf({ ...base, tie_word_embeddings: "yes" })).toThrow(
      expect.objectContaining({ code: "MODEL_LOAD_FAILED" }),
    );
    expect(() => t5ConfigFromHf({ ...base, relative_attention_num_buckets: 6 })).toThrow(
      expect.objectContaining({ code: "MODEL_LOAD_FAILED" }),
    );
    expect(() => t5ConfigFromHf([base])).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
  });
});

describe("T5 relative position buckets", () => {
  const settings = [
    { numBuckets: 8, maxDistance: 20 },
    { numBuckets: 32, maxDistance: 128 },
  ];

  it("are Hugging Face's _relative_position_bucket at every distance up to 300", () => {
    for (const { numBuckets, maxDistance } of settings) {
      for (const bidirectional of [true, false]) {
        for (let relative = -300; relative <= 300; relative++) {
          expect(
            t5RelativePositionBucket(relative, { bidirectional, numBuckets, maxDistance }),
            `${numBuckets}/${maxDistance} ${bidirectional} ${relative}`,
          ).toBe(referenceRelativeBucket(relative, bidirectional, numBuckets, maxDistance));
        }
      }
    }
  });

  it("give T5's 32-bucket values worked by hand, boundaries included", () => {
    const encoder = (relative: number) =>
      t5RelativePositionBucket(relative, { bidirectional: true, numBuckets: 32, maxDistance: 128 });
    const decoder = (relative: number) =>
      t5RelativePositionBucket(relative, { bidirectional: false, numBuckets: 32, maxDistance: 128 });
    // Encoder: 16 buckets a sign, 8 exact; log(16/8) / log(128/8) × 8 = 2 exactly, and so on.
    expect([0, -1, -7, -8, -16, -32, -64, -127, -128, -1000].map(encoder)).toEqual([
      0, 1, 7, 8, 10, 12, 14, 15, 15, 15,
    ]);
    expect([1, 7, 8, 16, 1000].map(encoder)).toEqual([17, 23, 24, 26, 31]);
    // Decoder: 32 buckets, 16 exact, later keys in bucket 0.
    expect([5, 0, -1, -15, -16, -32, -64, -128, -500].map(decoder)).toEqual([
      0, 0, 1, 15, 16, 21, 26, 31, 31,
    ]);
  });

  it("are what the graph gathers, for lengths past max_distance and for offset queries", async () => {
    for (const { numBuckets, maxDistance } of settings) {
      for (const bidirectional of [true, false]) {
        // A table whose row b holds b in every head: the bias then reads back the bucket.
        const tensors = new Map<string, WeightTensor>([
          [
            "table",
            {
              dims: [numBuckets, 2],
              data: Float32Array.from({ length: numBuckets * 2 }, (_, i) => Math.floor(i / 2)),
            },
          ],
        ]);
        const config = { ...tinyConfig("relu", true), numHeads: 2 };
        const ctx = createGraphContext({ config: t5ContextConfig(config), tensors }, "float32", "bias");
        const g = ctx.builder;
        const queries = g.input("queries", "int64", ["q"]);
        const keys = g.input("keys", "int64", ["k"]);
        const bias = t5RelativePositionBias(ctx, {
          table: "table",
          queries,
          keys,
          buckets: { bidirectional, numBuckets, maxDistance },
        });
        g.output(bias, "float32", [1, 2, "q", "k"]);
        const model = g.build();
        const session = await sessionOf(model);
        for (const [queryStart, queryCount, keyCount] of [
          [0, 150, 150],
          [137, 3, 140],
        ] as const) {
          const queryPositions = Array.from({ length: queryCount }, (_, i) => queryStart + i);
          const keyPositions = Array.from({ length: keyCount }, (_, i) => i);
          const outputs = await session.run({
            queries: {
              dataType: "int64",
              dims: [queryCount],
              data: BigInt64Array.from(queryPositions, BigInt),
            },
            keys: { dataType: "int64", dims: [keyCount], data: BigInt64Array.from(keyPositions, BigInt) },
          });
          const out = outputs[bias]!;
          expect(out.dims).toEqual([1, 2, queryCount, keyCount]);
          const data = out.data as Float32Array;
          const expected = Float64Array.from({ length: 2 * queryCount * keyCount }, (_, i) => {
            const key = i % keyCount;
            const query = Math.floor(i / keyCount) % queryCount;
            return referenceRelativeBucket(
              key - queryPositions[query]!,
              bidirectional,
              numBuckets,
              maxDistance,
            );
          });
          expect(maxAbsDiff(data, expected)).toBe(0);
        }
      }
    }
  });
});

for (const { name, weights } of variants) {
  describe(`buildT5Graph, ${name}`, () => {
    const reference = flat(referenceT5Logits(weights.config, weights.tensors, SOURCE, TARGET));

    it("gives the logits of an independent float64 reference within 1e-4 (float32)", async () => {
      const graph = buildT5Graph(weights);
      expect(graph.inputNames).toEqual([
        "input_ids",
        "attention_mask",
        "decoder_input_ids",
        "decoder_attention_mask",
      ]);
      expect(graph.outputNames).toEqual(["logits"]);
      const logits = (await run(graph, idFeeds([SOURCE], [TARGET])))["logits"]!;
      expect(logits.dims).toEqual([1, TARGET.length, VOCAB]);
      expect(maxAbsDiff(logits.data as Float32Array, reference)).toBeLessThan(1e-4);
    });

    it("gives the reference's logits within 1e-9 in float64", async () => {
      const graph = buildT5Graph(weights, { dataType: "float64" });
      const logits = (await run(graph, idFeeds([SOURCE], [TARGET])))["logits"]!;
      expect(maxAbsDiff(logits.data as Float64Array, reference)).toBeLessThan(1e-9);
    });

    it("gives each row of a right-padded batch the logits it has alone", async () => {
      const graph = buildT5Graph(weights, { dataType: "float64" });
      const shortSource = SOURCE.slice(0, 5);
      const shortTarget = TARGET.slice(0, 3);
      const pad = (row: readonly number[], length: number) => [
        ...row,
        ...Array<number>(length - row.length).fill(0),
      ];
      const maskOf = (row: readonly number[], length: number) => pad(ones(row), length);
      const batched = await run(
        graph,
        idFeeds([pad(shortSource, SOURCE.length), SOURCE], [pad(shortTarget, TARGET.length), TARGET], {
          source: [maskOf(shortSource, SOURCE.length), maskOf(SOURCE, SOURCE.length)],
          target: [maskOf(shortTarget, TARGET.length), maskOf(TARGET, TARGET.length)],
        }),
      );
      const data = batched["logits"]!.data as Float64Array;
      const width = TARGET.length * VOCAB;
      const shortAlone = flat(referenceT5Logits(weights.config, weights.tensors, shortSource, shortTarget));
      expect(maxAbsDiff(data.subarray(0, shortTarget.length * VOCAB), shortAlone)).toBeLessThan(1e-9);
      expect(maxAbsDiff(data.subarray(width, 2 * width), reference)).toBeLessThan(1e-9);
    });

    it("zeroes the value vectors its value masks name, as the reference does, in each kind of attention", async () => {
      const masked = buildT5Graph(weights, { valueZeroing: true, dataType: "float64" });
      const { encoderLayers, decoderLayers } = weights.config;
      expect(masked.inputNames.slice(4)).toEqual([
        "encoder.value_mask.0",
        "encoder.value_mask.1",
        "decoder.value_mask.0",
        "cross.value_mask.0",
        "decoder.value_mask.1",
        "cross.value_mask.1",
      ]);
      // One zeroed key per kind: encoder layer 1 head 3 source 9 (a log-bucket distance from the
      // first queries); decoder layer 0 every head position 1; cross layer 1 heads 0 and 2 source 4.
      const zeroed = (kind: string, layer: number, head: number, key: number) =>
        (kind === "encoder" && layer === 1 && head === 3 && key === 9) ||
        (kind === "decoder" && layer === 0 && key === 1) ||
        (kind === "cross" && layer === 1 && (head === 0 || head === 2) && key === 4);
      const maskFeeds = (scale: (kind: string, layer: number, head: number, key: number) => number) => {
        const feeds: Record<string, RuntimeTensor> = {};
        for (const kind of ["encoder", "decoder", "cross"] as const) {
          const keys = kind === "decoder" ? TARGET.length : SOURCE.length;
          for (let layer = 0; layer < (kind === "encoder" ? encoderLayers : decoderLayers); layer++) {
            const data = Array.from({ length: HEADS * keys }, (_, i) =>
              scale(kind, layer, Math.floor(i / keys), i % keys),
            );
            feeds[`${kind}.value_mask.${layer}`] = floatTensor(data, [1, HEADS, keys], "float64");
          }
        }
        return feeds;
      };
      const logitsWith = async (scale: (kind: string, layer: number, head: number, key: number) => number) =>
        (await run(masked, { ...idFeeds([SOURCE], [TARGET]), ...maskFeeds(scale) }))["logits"]!
          .data as Float64Array;
      expect(maxAbsDiff(await logitsWith(() => 1), reference)).toBeLessThan(1e-9);
      for (const kind of ["encoder", "decoder", "cross"]) {
        const scale = (k: string, layer: number, head: number, key: number) =>
          k === kind && zeroed(k, layer, head, key) ? 0 : 1;
        const expected = flat(referenceT5Logits(weights.config, weights.tensors, SOURCE, TARGET, scale));
        const logits = await logitsWith(scale);
        expect(maxAbsDiff(logits, expected), kind).toBeLessThan(1e-9);
        // The zeroing changes the logits: the test would catch a mask that is ignored.
        expect(maxAbsDiff(logits, reference), kind).toBeGreaterThan(1e-4);
      }
    });

    it("takes the table rows as embeddings and exposes every kind of tap under its stable name and shape", async () => {
      const taps = {
        encoder_hidden_states: [1, 12, 16],
        "encoder.embeddings": [1, 12, 16],
        "decoder.embeddings": [1, 7, 16],
        "encoder.residual.1": [1, 12, 16],
        "decoder.residual.0": [1, 7, 16],
        "encoder.mlp.0": [1, 12, 32],
        "decoder.mlp.1": [1, 7, 32],
        "encoder.attention_probs.1": [1, HEADS, 12, 12],
        "decoder.attention_probs.0": [1, HEADS, 7, 7],
        "cross.attention_probs.1": [1, HEADS, 7, 12],
        "encoder.values.0": [1, HEADS, 12, HEAD_DIM],
        "decoder.values.1": [1, HEADS, 7, HEAD_DIM],
        "cross.values.0": [1, HEADS, 12, HEAD_DIM],
      };
      const graph = buildT5Graph(weights, { input: "embeds", dataType: "float64", taps: Object.keys(taps) });
      expect(graph.inputNames).toEqual([
        "inputs_embeds",
        "attention_mask",
        "decoder_inputs_embeds",
        "decoder_attention_mask",
      ]);
      expect(graph.outputNames).toEqual(["logits", ...Object.keys(taps)]);
      const table = weights.tensors.get("shared.weight")!.data;
      const rows = (ids: readonly number[]) =>
        ids.flatMap((id) => [...table.subarray(id * 16, (id + 1) * 16)]);
      const outputs = await run(graph, {
        inputs_embeds: floatTensor(rows(SOURCE), [1, SOURCE.length, 16], "float64"),
        attention_mask: int64Rows([ones(SOURCE)]),
        decoder_inputs_embeds: floatTensor(rows(TARGET), [1, TARGET.length, 16], "float64"),
        decoder_attention_mask: int64Rows([ones(TARGET)]),
      });
      expect(maxAbsDiff(outputs["logits"]!.data as Float64Array, reference)).toBeLessThan(1e-9);
      for (const [tap, dims] of Object.entries(taps)) expect(outputs[tap]?.dims, tap).toEqual(dims);
      expect(maxAbsDiff(outputs["encoder.embeddings"]!.data as Float64Array, rows(SOURCE))).toBe(0);
      for (const tap of [
        "encoder.attention_probs.1",
        "decoder.attention_probs.0",
        "cross.attention_probs.1",
      ]) {
        const probs = outputs[tap]!;
        const keys = probs.dims[3]!;
        const data = probs.data as Float64Array;
        for (let row = 0; row < data.length / keys; row++) {
          const sum = data.subarray(row * keys, (row + 1) * keys).reduce((a, b) => a + b, 0);
          expect(sum, tap).toBeCloseTo(1, 12);
        }
      }
      // Causal: decoder query 2 gives later keys nothing.
      const decoderProbs = outputs["decoder.attention_probs.0"]!.data as Float64Array;
      expect(decoderProbs.subarray(2 * 7 + 3, 2 * 7 + 7).every((p) => p === 0)).toBe(true);
    });

    it("adds the position bias: a table of zeros changes the logits", async () => {
      const tensors = new Map(weights.tensors);
      for (const stack of ["encoder", "decoder"]) {
        const name = `${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`;
        const table = tensors.get(name)!;
        tensors.set(name, { dims: table.dims, data: new Float32Array(table.data.length) });
      }
      const unbiased = buildT5Graph({ config: weights.config, tensors }, { dataType: "float64" });
      const logits = (await run(unbiased, idFeeds([SOURCE], [TARGET])))["logits"]!.data as Float64Array;
      expect(
        maxAbsDiff(logits, flat(referenceT5Logits(weights.config, tensors, SOURCE, TARGET))),
      ).toBeLessThan(1e-9);
      expect(maxAbsDiff(logits, reference)).toBeGreaterThan(1e-3);
    });
  });
}

describe("buildT5Graph options", () => {
  const weights = variants[0]!.weights;

  it("refuses unknown options and taps with INVALID_INPUT", () => {
    expect(() => buildT5Graph(weights, { taps: ["attention_probs.0"] })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
    expect(() => buildT5Graph(weights, { taps: ["encoder.residual.2"] })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
    expect(() => buildT5Graph(weights, { input: "tokens" as "ids" })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
  });

  it("names a missing tensor with MODEL_LOAD_FAILED", () => {
    const tensors = new Map(weights.tensors);
    tensors.delete("decoder.block.1.layer.2.DenseReluDense.wo.weight");
    expect(() => buildT5Graph({ config: weights.config, tensors })).toThrow(
      expect.objectContaining({ code: "MODEL_LOAD_FAILED" }),
    );
  });
});

interface Batch {
  sources: number[][];
  sourceMask: number[][];
  targets: number[][];
  targetMask: number[][];
}

/**
 * Runs the encoder graph, the cross KV graph and then the cached decoder over `batch.targets` in
 * chunks of `chunks` tokens, feeding each run's presents to the next; every run's logits in order.
 */
async function cachedRun(weights: T5Weights, batch: Batch, chunks: number[]): Promise<RuntimeTensor[]> {
  const { decoderLayers } = weights.config;
  const encoded = await (await sessionOf(buildT5EncoderGraph(weights))).run({
    input_ids: int64Rows(batch.sources),
    attention_mask: int64Rows(batch.sourceMask),
  });
  const crossFeeds = await (await sessionOf(buildT5CrossKeyValueGraph(weights))).run({
    encoder_hidden_states: encoded["encoder_hidden_states"]!,
  });
  const rows = batch.targets.length;
  const past: Record<string, RuntimeTensor> = {};
  for (let layer = 0; layer < decoderLayers; layer++) {
    for (const kind of ["key", "value"])
      past[`past_${kind}.${layer}`] = floatTensor([], [rows, HEADS, 0, HEAD_DIM]);
  }
  const session = await sessionOf(buildT5CachedDecoderGraph(weights));
  const logits: RuntimeTensor[] = [];
  let start = 0;
  for (const size of chunks) {
    const outputs = await session.run({
      decoder_input_ids: int64Rows(batch.targets.map((row) => row.slice(start, start + size))),
      decoder_attention_mask: int64Rows(batch.targetMask.map((row) => row.slice(0, start + size))),
      attention_mask: int64Rows(batch.sourceMask),
      ...crossFeeds,
      ...past,
    });
    logits.push(outputs["logits"]!);
    start += size;
    for (let layer = 0; layer < decoderLayers; layer++) {
      for (const kind of ["key", "value"]) {
        const present = outputs[`present_${kind}.${layer}`]!;
        expect(present.dims).toEqual([rows, HEADS, start, HEAD_DIM]);
        past[`past_${kind}.${layer}`] = present;
      }
    }
  }
  return logits;
}

/** Logits [batch, tgt, vocab] of row `row`, positions `from ..< to`. */
function positionsOf(logits: RuntimeTensor, row: number, from: number, to: number): Float32Array {
  const length = logits.dims[1]!;
  return (logits.data as Float32Array).subarray((row * length + from) * VOCAB, (row * length + to) * VOCAB);
}

for (const { name, weights } of variants) {
  describe(`T5 incremental decoding, ${name}`, () => {
    it("takes the cache and cross keys and values under stable names", () => {
      const model = buildT5CachedDecoderGraph(weights);
      const inputs = model.graph.inputs.map((value) => value.name);
      expect(inputs.slice(0, 3)).toEqual(["decoder_input_ids", "decoder_attention_mask", "attention_mask"]);
      expect(inputs).toContain("past_key.1");
      expect(inputs).toContain("cross_value.0");
      expect(inputs).toHaveLength(3 + 4 * weights.config.decoderLayers);
      expect(model.graph.outputs.map((value) => value.name).slice(0, 3)).toEqual([
        "logits",
        "present_key.0",
        "present_value.0",
      ]);
      // No encoder weights and no cross key/value projections in the cached decoder.
      const initializers = model.graph.initializers.map((tensor) => tensor.name);
      expect(initializers.some((tensor) => tensor.startsWith("encoder."))).toBe(false);
      expect(initializers.some((tensor) => /EncDecAttention\.[kv]\./.test(tensor))).toBe(false);
    });

    it("gives the full graph's logits at every step within 1e-5 (float32), one token or a chunk at a time", async () => {
      const batch: Batch = {
        sources: [SOURCE],
        sourceMask: [ones(SOURCE)],
        targets: [TARGET],
        targetMask: [ones(TARGET)],
      };
      const full = (await run(buildT5Graph(weights), idFeeds([SOURCE], [TARGET])))["logits"]!;
      for (const chunks of [TARGET.map(() => 1), [3, 1, 2, 1]]) {
        const steps = await cachedRun(weights, batch, chunks);
        let start = 0;
        for (const [step, logits] of steps.entries()) {
          const size = chunks[step]!;
          expect(logits.dims).toEqual([1, size, VOCAB]);
          const diff = maxAbsDiff(logits.data as Float32Array, positionsOf(full, 0, start, start + size));
          expect(diff, `step ${step} of ${chunks.join(",")}`).toBeLessThan(1e-5);
          start += size;
        }
      }
    });

    it("gives each real position of a right-padded batch the full graph's logits", async () => {
      const shortSource = SOURCE.slice(0, 4);
      const shortTarget = TARGET.slice(0, 4);
      const pad = (row: readonly number[], length: number) => [
        ...row,
        ...Array<number>(length - row.length).fill(0),
      ];
      const maskOf = (row: readonly number[], length: number) => pad(ones(row), length);
      const [s, t] = [SOURCE.length, TARGET.length];
      const batch: Batch = {
        sources: [pad(shortSource, s), SOURCE],
        sourceMask: [maskOf(shortSource, s), maskOf(SOURCE, s)],
        targets: [pad(shortTarget, t), TARGET],
        targetMask: [maskOf(shortTarget, t), maskOf(TARGET, t)],
      };
      const full = (
        await run(
          buildT5Graph(weights),
          idFeeds(batch.sources, batch.targets, { source: batch.sourceMask, target: batch.targetMask }),
        )
      )["logits"]!;
      const steps = await cachedRun(
        weights,
        batch,
        TARGET.map(() => 1),
      );
      for (const [step, logits] of steps.entries()) {
        for (const [row, length] of [shortTarget.length, TARGET.length].entries()) {
          if (step >= length) continue;
          const diff = maxAbsDiff(positionsOf(logits, row, 0, 1), positionsOf(full, row, step, step + 1));
          expect(diff, `row ${row}, step ${step}`).toBeLessThan(1e-5);
        }
      }
    });
  });
}

describe("buildT5Graph gradients", () => {
  it("d logit / d {inputs|decoder_inputs}_embeds matches central finite differences (float64)", async () => {
    const weights = variants[1]!.weights;
    const graph = buildT5Graph(weights, { input: "embeds", dataType: "float64" });
    const session = await sessionOf(
      buildGradientGraph(graph.model, { of: ["logits"], wrt: ["inputs_embeds", "decoder_inputs_embeds"] }),
    );
    const table = weights.tensors.get("shared.weight")!.data;
    const rows = (ids: readonly number[]) =>
      Float64Array.from(ids.flatMap((id) => [...table.subarray(id * 16, (id + 1) * 16)]));
    const [position, token] = [3, 5];
    const seed = new Float64Array(TARGET.length * VOCAB);
    seed[position * VOCAB + token] = 1;
    const feeds = (source: Float64Array, target: Float64Array) => ({
      inputs_embeds: floatTensor(source, [1, SOURCE.length, 16], "float64"),
      attention_mask: int64Rows([ones(SOURCE)]),
      decoder_inputs_embeds: floatTensor(target, [1, TARGET.length, 16], "float64"),
      decoder_attention_mask: int64Rows([ones(TARGET)]),
    });
    const source = rows(SOURCE);
    const target = rows(TARGET);
    const outputs = await session.run({
      ...feeds(source, target),
      logits_grad: floatTensor(seed, [1, TARGET.length, VOCAB], "float64"),
    });
    const objective = async (s: Float64Array, t: Float64Array) =>
      ((await run(graph, feeds(s, t)))["logits"]!.data as Float64Array)[position * VOCAB + token]!;
    const step = 1e-5;
    for (const [input, index] of [
      ["source", 10 * 16 + 3],
      ["source", 2 * 16 + 9],
      ["target", 1 * 16 + 4],
      ["target", 3 * 16 + 15],
    ] as const) {
      const base = input === "source" ? source : target;
      const up = Float64Array.from(base);
      const down = Float64Array.from(base);
      up[index]! += step;
      down[index]! -= step;
      const numeric =
        input === "source"
          ? ((await objective(up, target)) - (await objective(down, target))) / (2 * step)
          : ((await objective(source, up)) - (await objective(source, down))) / (2 * step);
      const gradient = outputs[input === "source" ? "inputs_embeds_grad" : "decoder_inputs_embeds_grad"]!
        .data as Float64Array;
      expect(Math.abs(numeric), `${input} ${index}`).toBeGreaterThan(1e-4);
      expect(Math.abs(gradient[index]! - numeric) / Math.abs(numeric), `${input} ${index}`).toBeLessThan(
        1e-6,
      );
    }
    // Causality: target positions after 3 do not reach logits[0, 3].
    const targetGradient = outputs["decoder_inputs_embeds_grad"]!.data as Float64Array;
    expect(targetGradient.subarray((position + 1) * 16).every((value) => value === 0)).toBe(true);
  });
});
