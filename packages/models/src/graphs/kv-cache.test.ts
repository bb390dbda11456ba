import type { RuntimeTensor } from "@tokenscope/tensor-backends";
import { describe, expect, it } from "vitest";
import { randomWeights } from "../testing/random-weights.ts";
import type { DecoderConfig } from "../weights/types.ts";
import { buildDecoderGraph } from "./build-decoder-graph.ts";
import { floatTensor, int64Rows, maxAbsDiff, plainFeeds, runDecoder } from "./run.test-helpers.ts";
import type { DecoderGraph } from "./types.ts";

const prompt = [1, 7, 30, 3, 45, 12, 9, 2, 17, 40];

const cases: { title: string; architecture: string; config?: Partial<DecoderConfig> }[] = [
  { title: "llama (GQA, half RoPE)", architecture: "llama" },
  {
    title: "llama, interleaved RoPE, no GQA",
    architecture: "llama",
    config: { ropeStyle: "interleaved", numKeyValueHeads: 4 },
  },
  { title: "mistral, sliding window 3", architecture: "mistral", config: { slidingWindow: 3 } },
  { title: "qwen2", architecture: "qwen2" },
  { title: "qwen3", architecture: "qwen3" },
  { title: "gemma (one key/value head)", architecture: "gemma" },
  { title: "gemma2 (window 4 on even layers, soft caps)", architecture: "gemma2" },
  { title: "gemma2, window 2", architecture: "gemma2", config: { slidingWindow: 2 } },
  { title: "gemma3_text (q/k norms, local and scaled global rotary, window 3)", architecture: "gemma3_text" },
  { title: "phi3", architecture: "phi3" },
  { title: "phi3, sliding window 3", architecture: "phi3", config: { slidingWindow: 3 } },
  { title: "gpt2 (learned positions)", architecture: "gpt2" },
  { title: "gpt_neox (partial rotary)", architecture: "gpt_neox" },
  { title: "opt (learned positions offset by 2, pre-norm)", architecture: "opt" },
  { title: "opt, post-norm", architecture: "opt", config: { layerNormBefore: false } },
];

type Outputs = Record<string, { dims: number[]; data: Float64Array }>;

/** An empty cache: past length 0 for every layer. */
function emptyCache(config: DecoderConfig, batch = 1): Record<string, RuntimeTensor> {
  const feeds: Record<string, RuntimeTensor> = {};
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const name of [`past_key.${layer}`, `past_value.${layer}`]) {
      feeds[name] = floatTensor([], [batch, config.numKeyValueHeads, 0, config.headDim]);
    }
  }
  return feeds;
}

/** The `present_*` outputs of a run as the `past_*` feeds of the next. */
function nextCache(outputs: Outputs, config: DecoderConfig): Record<string, RuntimeTensor> {
  const feeds: Record<string, RuntimeTensor> = {};
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const kind of ["key", "value"]) {
      const present = outputs[`present_${kind}.${layer}`]!;
      feeds[`past_${kind}.${layer}`] = floatTensor(present.data, present.dims);
    }
  }
  return feeds;
}

/**
 * Runs `ids` through a cached graph in chunks (sizes `chunks`), feeding each run's presents to the
 * next, and returns the logits of all positions, concatenated, and the last outputs.
 */
async function runInChunks(
  graph: DecoderGraph,
  ids: number[],
  chunks: number[],
): Promise<{ logits: number[]; last: Outputs }> {
  let cache = emptyCache(graph.config);
  let start = 0;
  const logits: number[] = [];
  let last: Outputs = {};
  for (const size of chunks) {
    const chunk = ids.slice(start, start + size);
    last = await runDecoder(graph, {
      input_ids: int64Rows([chunk]),
      attention_mask: int64Rows([ids.slice(0, start + size).map(() => 1)]),
      position_ids: int64Rows([chunk.map((_, i) => start + i)]),
      ...cache,
    });
    logits.push(...last["logits"]!.data);
    cache = nextCache(last, graph.config);
    start += size;
  }
  return { logits, last };
}

describe.each(cases)("the KV cache of $title", ({ architecture, config }) => {
  const weights = randomWeights(architecture, config, 13);
  const c = weights.config;
  const plain = buildDecoderGraph(weights);
  const cached = buildDecoderGraph(weights, { kvCache: true });

  it("takes past_* and gives present_* per layer", () => {
    const layers = Array.from({ length: c.numLayers }, (_, l) => l);
    expect(cached.inputNames).toEqual([
      "input_ids",
      "attention_mask",
      "position_ids",
      ...layers.flatMap((l) => [`past_key.${l}`, `past_value.${l}`]),
    ]);
    expect(cached.outputNames).toEqual([
      "logits",
      ...layers.flatMap((l) => [`present_key.${l}`, `present_value.${l}`]),
    ]);
  });

  it("prefix then the rest with the cache equals the prompt in one go (1e-5), and so does token by token", async () => {
    const full = (await runDecoder(plain, plainFeeds([prompt])))["logits"]!.data;
    const spread = Math.max(...full) - Math.min(...full);
    expect(spread).toBeGreaterThan(0.5);
    for (const chunks of [[10], [6, 4], [3, 1, 5, 1], Array(10).fill(1)]) {
      const { logits, last } = await runInChunks(cached, prompt, chunks);
      expect(maxAbsDiff(logits, full), chunks.join("+")).toBeLessThan(1e-5);
      expect(last["present_key.0"]!.dims).toEqual([1, c.numKeyValueHeads, prompt.length, c.headDim]);
    }
  });

  it("passes the past through unchanged and stores the same keys whether computed at once or in chunks", async () => {
    const once = (await runInChunks(cached, prompt, [10])).last;
    const prefix = (await runInChunks(cached, prompt, [6])).last;
    const chunked = (await runInChunks(cached, prompt, [6, 4])).last;
    for (let layer = 0; layer < c.numLayers; layer++) {
      for (const kind of ["key", "value"]) {
        const name = `present_${kind}.${layer}`;
        expect(maxAbsDiff(chunked[name]!.data, once[name]!.data)).toBeLessThan(1e-5);
        // The first 6 positions of each head are the fed past, bit for bit.
        const headSize = c.headDim;
        for (let head = 0; head < c.numKeyValueHeads; head++) {
          const fed = prefix[name]!.data.subarray(head * 6 * headSize, (head + 1) * 6 * headSize);
          const kept = chunked[name]!.data.subarray(head * 10 * headSize, (head * 10 + 6) * headSize);
          expect(Array.from(kept)).toEqual(Array.from(Float32Array.from(fed)));
        }
      }
    }
  });
});

describe("the KV cache with padding, taps and value zeroing (llama)", () => {
  const weights = randomWeights("llama", {}, 17);
  const c = weights.config;
  const vocab = c.vocabSize;

  it("continues a left-padded batch: each row equals its prompt alone", async () => {
    const short = [1, 22, 4, 40];
    const pad = prompt.length - short.length;
    const cached = buildDecoderGraph(weights, { kvCache: true });
    const plain = buildDecoderGraph(weights);
    const paddedMask = (total: number) => Array.from({ length: total }, (_, i) => (i < pad ? 0 : 1));
    // Prefill both rows (the short one left-padded), then one more token each.
    const first = await runDecoder(cached, {
      input_ids: int64Rows([prompt, [...Array(pad).fill(0), ...short]]),
      attention_mask: int64Rows([prompt.map(() => 1), paddedMask(prompt.length)]),
      position_ids: int64Rows([prompt.map((_, i) => i), [...Array(pad).fill(1), ...short.map((_, i) => i)]]),
      ...emptyCache(c, 2),
    });
    const next = [5, 6];
    const second = await runDecoder(cached, {
      input_ids: int64Rows([[next[0]!], [next[1]!]]),
      attention_mask: int64Rows([Array(prompt.length + 1).fill(1), paddedMask(prompt.length + 1)]),
      position_ids: int64Rows([[prompt.length], [short.length]]),
      ...nextCache(first, c),
    });
    const aloneA = (await runDecoder(plain, plainFeeds([[...prompt, next[0]!]])))["logits"]!.data;
    const aloneB = (await runDecoder(plain, plainFeeds([[...short, next[1]!]])))["logits"]!.data;
    const secondRow = (row: number) => second["logits"]!.data.subarray(row * vocab, (row + 1) * vocab);
    expect(maxAbsDiff(secondRow(0), aloneA.subarray(prompt.length * vocab))).toBeLessThan(1e-5);
    expect(maxAbsDiff(secondRow(1), aloneB.subarray(short.length * vocab))).toBeLessThan(1e-5);
  });

  it("taps attention of the new queries over past and new keys, equal to those rows of a full run", async () => {
    const tapped = buildDecoderGraph(weights, { kvCache: true, taps: { attentionProbs: [1], values: [1] } });
    const full = await runDecoder(
      buildDecoderGraph(weights, { taps: { attentionProbs: [1] } }),
      plainFeeds([prompt]),
    );
    const prefix = await runDecoder(tapped, {
      ...plainFeeds([prompt.slice(0, 7)]),
      ...emptyCache(c),
    });
    const rest = await runDecoder(tapped, {
      input_ids: int64Rows([prompt.slice(7)]),
      attention_mask: int64Rows([prompt.map(() => 1)]),
      position_ids: int64Rows([[7, 8, 9]]),
      ...nextCache(prefix, c),
    });
    const probs = rest["attention_probs.1"]!;
    expect(probs.dims).toEqual([1, c.numHeads, 3, 10]);
    expect(rest["values.1"]!.dims).toEqual([1, c.numKeyValueHeads, 10, c.headDim]);
    expect(Array.from(rest["values.1"]!.data)).toEqual(Array.from(rest["present_value.1"]!.data));
    const fullProbs = full["attention_probs.1"]!.data;
    for (let head = 0; head < c.numHeads; head++) {
      for (let q = 0; q < 3; q++) {
        const got = probs.data.subarray((head * 3 + q) * 10, (head * 3 + q + 1) * 10);
        const want = fullProbs.subarray((head * 10 + 7 + q) * 10, (head * 10 + 8 + q) * 10);
        expect(maxAbsDiff(got, want)).toBeLessThan(1e-6);
        for (let key = 8 + q; key < 10; key++) expect(got[key]).toBe(0);
      }
    }
  });

  it("zeroes a past position's values through value_mask over past and new keys", async () => {
    const zeroing = buildDecoderGraph(weights, { valueZeroing: true });
    const cachedZeroing = buildDecoderGraph(weights, { kvCache: true, valueZeroing: true });
    const masks = (keys: number) =>
      Object.fromEntries(
        Array.from({ length: c.numLayers }, (_, layer) => [
          `value_mask.${layer}`,
          floatTensor(
            Array.from({ length: c.numHeads * keys }, (_, i) => (layer === 0 && i % keys === 2 ? 0 : 1)),
            [1, c.numHeads, keys],
          ),
        ]),
      );
    const full = (await runDecoder(zeroing, { ...plainFeeds([prompt]), ...masks(10) }))["logits"]!.data;
    const prefix = await runDecoder(cachedZeroing, {
      ...plainFeeds([prompt.slice(0, 7)]),
      ...emptyCache(c),
      ...masks(7),
    });
    const rest = await runDecoder(cachedZeroing, {
      input_ids: int64Rows([prompt.slice(7)]),
      attention_mask: int64Rows([prompt.map(() => 1)]),
      position_ids: int64Rows([[7, 8, 9]]),
      ...nextCache(prefix, c),
      ...masks(10),
    });
    expect(maxAbsDiff(rest["logits"]!.data, full.subarray(7 * vocab))).toBeLessThan(1e-5);
    const unzeroed = (await runDecoder(buildDecoderGraph(weights), plainFeeds([prompt])))["logits"]!.data;
    expect(maxAbsDiff(rest["logits"]!.data, unzeroed.subarray(7 * vocab))).toBeGreaterThan(1e-4);
  });

  it("gathers logit positions among the new tokens and runs in float64", async () => {
    const full = (await runDecoder(buildDecoderGraph(weights), plainFeeds([prompt])))["logits"]!.data;
    const gathered = buildDecoderGraph(weights, { kvCache: true, gatherLogits: true, dataType: "float64" });
    const emptyF64 = Object.fromEntries(
      Object.entries(emptyCache(c)).map(([name, tensor]) => [name, floatTensor([], tensor.dims, "float64")]),
    );
    const { logits } = await runDecoder(gathered, {
      ...plainFeeds([prompt]),
      logit_positions: int64Rows([[9, 4]]),
      ...emptyF64,
    });
    expect(logits!.dims).toEqual([1, 2, vocab]);
    expect(maxAbsDiff(logits!.data.subarray(0, vocab), full.subarray(9 * vocab))).toBeLessThan(1e-5);
    expect(maxAbsDiff(logits!.data.subarray(vocab), full.subarray(4 * vocab, 5 * vocab))).toBeLessThan(1e-5);
  });

  it("refuses a kvCache option that is not a boolean", () => {
    expect(() => buildDecoderGraph(weights, { kvCache: "yes" as unknown as boolean })).toThrow(/kvCache/);
  });
});
