import { describe, expect, it } from "vitest";
import { randomWeights } from "../testing/random-weights.ts";
import { FINAL_NORM, gpt2Names, LM_HEAD, layerTensorName, neoxNames, optNames } from "../weights/names.ts";
import { buildDecoderGraph } from "./build-decoder-graph.ts";
import { floatTensor, int64Rows, maxAbsDiff, plainFeeds, runDecoder } from "./run.test-helpers.ts";

const families = [
  "llama",
  "qwen2",
  "qwen3",
  "gemma",
  "gemma2",
  "gemma3_text",
  "phi3",
  "gpt2",
  "gpt_neox",
  "opt",
] as const;
const tokenTables: Record<string, string> = {
  llama: "model.embed_tokens.weight",
  qwen2: "model.embed_tokens.weight",
  qwen3: "model.embed_tokens.weight",
  gemma: "model.embed_tokens.weight",
  gemma2: "model.embed_tokens.weight",
  gemma3_text: "model.embed_tokens.weight",
  phi3: "model.embed_tokens.weight",
  gpt2: gpt2Names.tokenEmbedding,
  gpt_neox: neoxNames.tokenEmbedding,
  opt: optNames.tokenEmbedding,
};

const promptA = [1, 7, 30, 3, 45, 12, 9, 2];
const promptB = [1, 22, 4, 40, 17];
const vocab = 48;

/** Rows [from, to) of position axis 1 of a [batch, seq, vocab] tensor, for batch row `row`. */
function rows(data: Float64Array, seq: number, row: number, from: number, to: number): Float64Array {
  return data.subarray((row * seq + from) * vocab, (row * seq + to) * vocab);
}

describe.each(families)("the %s graph's interface", (architecture) => {
  const weights = randomWeights(architecture, {}, 3);
  const graph = buildDecoderGraph(weights);

  it("gives the same logits from inputs_embeds as from input_ids", async () => {
    const table = weights.tensors.get(tokenTables[architecture]!)!;
    const hidden = weights.config.hiddenSize;
    const embeds = promptA.flatMap((id) => Array.from(table.data.subarray(id * hidden, (id + 1) * hidden)));
    const fromIds = await runDecoder(graph, plainFeeds([promptA]));
    const { input_ids: _, ...rest } = plainFeeds([promptA]);
    const embedsGraph = buildDecoderGraph(weights, { input: "embeds" });
    expect(embedsGraph.inputNames).toEqual(["inputs_embeds", "attention_mask", "position_ids"]);
    const fromEmbeds = await runDecoder(embedsGraph, {
      ...rest,
      inputs_embeds: floatTensor(embeds, [1, promptA.length, hidden]),
    });
    expect(maxAbsDiff(fromEmbeds["logits"]!.data, fromIds["logits"]!.data)).toBeLessThan(1e-6);
  });

  it("computes logits only at logit_positions, equal to those rows of the full logits", async () => {
    const batch = [promptA, [...promptA].reverse()];
    const positions = [
      [0, 3, 7],
      [6, 1, 1],
    ];
    const full = (await runDecoder(graph, plainFeeds(batch)))["logits"]!;
    const gathered = buildDecoderGraph(weights, { gatherLogits: true });
    const { logits } = await runDecoder(gathered, {
      ...plainFeeds(batch),
      logit_positions: int64Rows(positions),
    });
    expect(logits!.dims).toEqual([2, 3, vocab]);
    positions.forEach((wanted, row) => {
      wanted.forEach((position, p) => {
        const expected = rows(full.data, promptA.length, row, position, position + 1);
        expect(maxAbsDiff(rows(logits!.data, 3, row, p, p + 1), expected)).toBeLessThan(1e-6);
      });
    });
  });

  it("gives each left-padded prompt of a batch its logits alone, on the real positions", async () => {
    const pad = promptA.length - promptB.length;
    const { logits } = await runDecoder(graph, {
      input_ids: int64Rows([promptA, [...Array(pad).fill(0), ...promptB]]),
      attention_mask: int64Rows([promptA.map(() => 1), [...Array(pad).fill(0), ...promptB.map(() => 1)]]),
      // Hugging Face's convention: cumsum(mask) - 1, padding at 1.
      position_ids: int64Rows([
        promptA.map((_, i) => i),
        [...Array(pad).fill(1), ...promptB.map((_, i) => i)],
      ]),
    });
    const aloneA = (await runDecoder(graph, plainFeeds([promptA])))["logits"]!.data;
    const aloneB = (await runDecoder(graph, plainFeeds([promptB])))["logits"]!.data;
    expect(maxAbsDiff(rows(logits!.data, promptA.length, 0, 0, promptA.length), aloneA)).toBeLessThan(1e-5);
    expect(maxAbsDiff(rows(logits!.data, promptA.length, 1, pad, promptA.length), aloneB)).toBeLessThan(1e-5);
    expect(logits!.data.every(Number.isFinite)).toBe(true);
  });

  it("is causal: changing a later token leaves earlier logits unchanged", async () => {
    const changed = [...promptA];
    changed[5] = 33;
    const before = (await runDecoder(graph, plainFeeds([promptA])))["logits"]!.data;
    const after = (await runDecoder(graph, plainFeeds([changed])))["logits"]!.data;
    const seq = promptA.length;
    expect(maxAbsDiff(rows(after, seq, 0, 0, 5), rows(before, seq, 0, 0, 5))).toBeLessThan(1e-6);
    expect(maxAbsDiff(rows(after, seq, 0, 5, 6), rows(before, seq, 0, 5, 6))).toBeGreaterThan(1e-3);
  });

  it("exposes attention probabilities whose rows sum to 1 and vanish above the diagonal", async () => {
    const { numLayers, numHeads } = weights.config;
    const tapped = buildDecoderGraph(weights, { taps: { attentionProbs: true } });
    expect(tapped.outputNames).toEqual([
      "logits",
      ...Array.from({ length: numLayers }, (_, l) => `attention_probs.${l}`),
    ]);
    const outputs = await runDecoder(tapped, plainFeeds([promptA, promptA]));
    const seq = promptA.length;
    for (let layer = 0; layer < numLayers; layer++) {
      const probs = outputs[`attention_probs.${layer}`]!;
      // Gemma 2's even layers see only the last slidingWindow keys; Gemma 3's all but every pattern-th.
      const pattern = weights.config.slidingWindowPattern;
      const sliding =
        architecture === "gemma2"
          ? layer % 2 === 0
          : architecture === "gemma3_text" && (pattern === undefined || (layer + 1) % pattern !== 0);
      const window = sliding ? weights.config.slidingWindow : undefined;
      expect(probs.dims).toEqual([2, numHeads, seq, seq]);
      for (let row = 0; row < 2 * numHeads * seq; row++) {
        const t = row % seq;
        const values = probs.data.subarray(row * seq, (row + 1) * seq);
        expect(Math.abs(values.reduce((sum, p) => sum + p, 0) - 1)).toBeLessThan(1e-5);
        for (let s = t + 1; s < seq; s++) expect(values[s]).toBe(0);
        const first = window === undefined ? 0 : Math.max(0, t - window + 1);
        for (let s = 0; s < first; s++) expect(values[s]).toBe(0);
        expect(values[first]! > 0 && values[t]! > 0).toBe(true);
      }
    }
  });

  it("value_mask of ones changes nothing; zeros at one position change that position and later only", async () => {
    const { numLayers, numHeads } = weights.config;
    const zeroing = buildDecoderGraph(weights, { valueZeroing: true });
    expect(zeroing.inputNames.slice(3)).toEqual(
      Array.from({ length: numLayers }, (_, l) => `value_mask.${l}`),
    );
    const seq = promptA.length;
    const masks = (zeroAt?: number) =>
      Object.fromEntries(
        Array.from({ length: numLayers }, (_, layer) => [
          `value_mask.${layer}`,
          floatTensor(
            Array.from({ length: numHeads * seq }, (_, i) => (layer === 0 && i % seq === zeroAt ? 0 : 1)),
            [1, numHeads, seq],
          ),
        ]),
      );
    const plain = (await runDecoder(graph, plainFeeds([promptA])))["logits"]!.data;
    const ones = (await runDecoder(zeroing, { ...plainFeeds([promptA]), ...masks() }))["logits"]!.data;
    expect(maxAbsDiff(ones, plain)).toBeLessThan(1e-6);
    const zeroed = (await runDecoder(zeroing, { ...plainFeeds([promptA]), ...masks(3) }))["logits"]!.data;
    expect(maxAbsDiff(rows(zeroed, seq, 0, 0, 3), rows(plain, seq, 0, 0, 3))).toBeLessThan(1e-6);
    for (let t = 3; t < seq; t++) {
      expect(maxAbsDiff(rows(zeroed, seq, 0, t, t + 1), rows(plain, seq, 0, t, t + 1))).toBeGreaterThan(1e-4);
    }
  });

  it("names every tap inside the graph even when none is exposed", () => {
    const produced = new Set(graph.model.graph.nodes.flatMap((node) => node.outputs));
    expect(graph.outputNames).toEqual(["logits"]);
    for (let layer = 0; layer < weights.config.numLayers; layer++) {
      for (const name of ["attention_probs", "values", "residual", "mlp"]) {
        expect(produced.has(`${name}.${layer}`), `${name}.${layer}`).toBe(true);
      }
    }
    expect(produced.has("embeddings")).toBe(true);
  });
});

describe("taps of the llama graph", () => {
  const weights = randomWeights("llama", {}, 4);
  const c = weights.config;
  const graph = buildDecoderGraph(weights, {
    taps: { embeddings: true, values: [0], residual: [c.numLayers - 1], mlp: [1] },
  });
  const tensor = (name: string) => weights.tensors.get(name)!.data;
  const rms = (x: Float64Array, weight: Float32Array) => {
    const scale = 1 / Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length + c.rmsNormEps);
    return x.map((v, i) => v * scale * weight[i]!);
  };
  const linear = (w: Float32Array, x: Float64Array, rows: number) =>
    Float64Array.from({ length: rows }, (_, r) => x.reduce((sum, v, i) => sum + w[r * x.length + i]! * v, 0));

  it("has the documented output names and shapes", async () => {
    expect(graph.outputNames).toEqual(["logits", "embeddings", "values.0", "residual.1", "mlp.1"]);
    const outputs = await runDecoder(graph, plainFeeds([promptA]));
    const seq = promptA.length;
    expect(outputs["embeddings"]!.dims).toEqual([1, seq, c.hiddenSize]);
    expect(outputs["values.0"]!.dims).toEqual([1, c.numKeyValueHeads, seq, c.headDim]);
    expect(outputs["residual.1"]!.dims).toEqual([1, seq, c.hiddenSize]);
    expect(outputs["mlp.1"]!.dims).toEqual([1, seq, c.intermediateSize]);
  });

  it("values.0 holds v_proj(rmsnorm(embedding)) per key/value head", async () => {
    const outputs = await runDecoder(graph, plainFeeds([promptA]));
    const values = outputs["values.0"]!.data;
    const seq = promptA.length;
    promptA.forEach((id, t) => {
      const embedding = Float64Array.from(
        tensor("model.embed_tokens.weight").subarray(id * c.hiddenSize, (id + 1) * c.hiddenSize),
      );
      const x = rms(embedding, tensor(layerTensorName(0, "input_layernorm")));
      const v = linear(tensor(layerTensorName(0, "self_attn.v_proj")), x, c.numKeyValueHeads * c.headDim);
      for (let head = 0; head < c.numKeyValueHeads; head++) {
        for (let d = 0; d < c.headDim; d++) {
          expect(values[(head * seq + t) * c.headDim + d]).toBeCloseTo(v[head * c.headDim + d]!, 5);
        }
      }
    });
  });

  it("residual of the last layer feeds the logits through the final norm and output matrix", async () => {
    const outputs = await runDecoder(graph, plainFeeds([promptA]));
    const residual = outputs["residual.1"]!.data;
    const expected = promptA.flatMap((_, t) =>
      Array.from(
        linear(
          tensor(LM_HEAD),
          rms(residual.slice(t * c.hiddenSize, (t + 1) * c.hiddenSize), tensor(FINAL_NORM)),
          c.vocabSize,
        ),
      ),
    );
    expect(maxAbsDiff(outputs["logits"]!.data, expected)).toBeLessThan(1e-4);
  });
});
