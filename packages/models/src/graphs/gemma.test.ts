import { describe, expect, it } from "vitest";
import { randomWeights } from "../testing/random-weights.ts";
import { referenceGemmaForward } from "../testing/reference-gemma.ts";
import type { DecoderConfig, DecoderWeights } from "../weights/types.ts";
import { buildDecoderGraph } from "./build-decoder-graph.ts";
import { maxAbsDiff, plainFeeds, runDecoder } from "./run.test-helpers.ts";

// Longer than the tiny Gemma 2's window of 4, so that its even layers drop the oldest keys.
const ids = [2, 7, 30, 3, 45, 12, 12, 9, 40, 17];

async function graphLogits(weights: DecoderWeights, dataType: "float32" | "float64" = "float32") {
  const { logits } = await runDecoder(buildDecoderGraph(weights, { dataType }), plainFeeds([ids]));
  return logits!.data;
}

/** The weights with the tensors whose names match `pattern` multiplied by `factor`. */
function scaled(
  weights: DecoderWeights,
  pattern: RegExp,
  factor: number,
  config: Partial<DecoderConfig> = {},
) {
  const tensors = new Map(
    [...weights.tensors].map(([name, t]) => [
      name,
      pattern.test(name) ? { dims: t.dims, data: t.data.map((v) => v * factor) } : t,
    ]),
  );
  return { config: { ...weights.config, ...config }, tensors };
}

describe("gemma and gemma2 graphs against the float64 reference", () => {
  for (const architecture of ["gemma", "gemma2"]) {
    it(`${architecture}: float32 within 1e-4, float64 within 1e-9`, async () => {
      const weights = randomWeights(architecture, {}, 31);
      expect(weights.config.headDim).not.toBe(weights.config.hiddenSize / weights.config.numHeads);
      expect(weights.config.numKeyValueHeads).toBeLessThan(weights.config.numHeads);
      const expected = referenceGemmaForward(weights, ids).data;
      expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.5);
      expect(maxAbsDiff(await graphLogits(weights), expected)).toBeLessThan(1e-4);
      expect(maxAbsDiff(await graphLogits(weights, "float64"), expected)).toBeLessThan(1e-9);
    });
  }

  it("gemma2's sliding window matters on a prompt longer than it, and the reference agrees", async () => {
    const windowed = randomWeights("gemma2", {}, 32);
    expect(ids.length).toBeGreaterThan(windowed.config.slidingWindow!);
    const { slidingWindow: _, ...withoutWindow } = windowed.config;
    const full = { config: withoutWindow, tensors: windowed.tensors };
    const [withWindow, noWindow] = [
      await graphLogits(windowed, "float64"),
      await graphLogits(full, "float64"),
    ];
    expect(maxAbsDiff(withWindow, noWindow)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(withWindow, referenceGemmaForward(windowed, ids).data)).toBeLessThan(1e-9);
    expect(maxAbsDiff(noWindow, referenceGemmaForward(full, ids).data)).toBeLessThan(1e-9);
    // Only the positions that have keys beyond the window differ.
    const vocab = windowed.config.vocabSize;
    const within = windowed.config.slidingWindow! * vocab;
    expect(maxAbsDiff(withWindow.subarray(0, within), noWindow.subarray(0, within))).toBeLessThan(1e-12);
  });

  it("soft-caps the final logits within ±finalLogitSoftcap", async () => {
    // A 40× output table drives the uncapped logits far beyond the cap of 30 (the final norm
    // undoes the scale on the way in).
    const loud = scaled(randomWeights("gemma2", {}, 33), /embed_tokens/, 40);
    const cap = loud.config.finalLogitSoftcap!;
    const { finalLogitSoftcap: _, ...uncappedConfig } = loud.config;
    const uncapped = referenceGemmaForward({ config: uncappedConfig, tensors: loud.tensors }, ids).data;
    expect(Math.max(...uncapped.map(Math.abs))).toBeGreaterThan(2 * cap);
    const expected = referenceGemmaForward(loud, ids).data;
    const logits = await graphLogits(loud);
    expect(logits.every((z) => Math.abs(z) <= cap)).toBe(true);
    expect(Math.max(...logits.map(Math.abs))).toBeGreaterThan(0.9 * cap);
    expect(maxAbsDiff(logits, expected)).toBeLessThan(1e-4);
    expect(maxAbsDiff(await graphLogits(loud, "float64"), expected)).toBeLessThan(1e-9);
  });

  it("soft-caps the attention scores at attentionLogitSoftcap before the mask", async () => {
    // Queries and keys 6× larger: scores 36× larger, beyond a cap of 5 (set low for the test).
    const loud = scaled(randomWeights("gemma2", {}, 34), /self_attn\.[qk]_proj/, 6, {
      attentionLogitSoftcap: 5,
    });
    const { attentionLogitSoftcap: _, ...uncappedConfig } = loud.config;
    const uncapped = referenceGemmaForward({ config: uncappedConfig, tensors: loud.tensors }, ids).data;
    const expected = referenceGemmaForward(loud, ids).data;
    expect(maxAbsDiff(expected, uncapped)).toBeGreaterThan(1e-2);
    expect(maxAbsDiff(await graphLogits(loud), expected)).toBeLessThan(1e-4);
    expect(maxAbsDiff(await graphLogits(loud, "float64"), expected)).toBeLessThan(1e-9);
  });

  it("feeds inputs_embeds as unscaled table rows: the graph multiplies them by sqrt(hidden)", async () => {
    const weights = randomWeights("gemma", {}, 35);
    const hidden = weights.config.hiddenSize;
    const table = weights.tensors.get("model.embed_tokens.weight")!.data;
    const graph = buildDecoderGraph(weights, { input: "embeds", taps: { embeddings: true } });
    const { input_ids: _, ...rest } = plainFeeds([ids]);
    const rows = ids.flatMap((id) => Array.from(table.subarray(id * hidden, (id + 1) * hidden)));
    const outputs = await runDecoder(graph, {
      ...rest,
      inputs_embeds: { dataType: "float32", dims: [1, ids.length, hidden], data: Float32Array.from(rows) },
    });
    const stream = rows.map((v) => v * Math.fround(Math.sqrt(hidden)));
    expect(maxAbsDiff(outputs["embeddings"]!.data, stream)).toBeLessThan(1e-6);
    expect(maxAbsDiff(outputs["logits"]!.data, await graphLogits(weights))).toBeLessThan(1e-5);
  });
});
