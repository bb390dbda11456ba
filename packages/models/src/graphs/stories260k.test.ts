import { join } from "node:path";
import { buildGradientGraph } from "@tokenscope/tensor-backends";
import { beforeAll, describe, expect, it } from "vitest";
import { loadLlama2cCheckpoint, loadLlama2cTokenizer } from "../formats/node-loaders.ts";
import { onceUponATimeIds, stories260kDir } from "../testing/assets.test-helpers.ts";
import { referenceForward } from "../testing/reference-llama.ts";
import type { DecoderWeights } from "../weights/types.ts";
import { buildDecoderGraph } from "./build-decoder-graph.ts";
import { floatTensor, maxAbsDiff, plainFeeds, runDecoder, sessionOf } from "./run.test-helpers.ts";

let weights: DecoderWeights;
beforeAll(async () => {
  weights = await loadLlama2cCheckpoint(join(stories260kDir, "stories260K.bin"));
});

describe("stories260K graph", () => {
  it("matches the float64 reference logits within 1e-4 (float32 graph)", async () => {
    const graph = buildDecoderGraph(weights);
    const { logits } = await runDecoder(graph, plainFeeds([onceUponATimeIds]));
    expect(logits!.dims).toEqual([1, 5, 512]);
    const reference = referenceForward(weights, onceUponATimeIds);
    expect(maxAbsDiff(logits!.data, reference.data)).toBeLessThan(1e-4);
  });

  it("greedy decoding reproduces the README's 40 tokens", async () => {
    const graph = buildDecoderGraph(weights, { gatherLogits: true });
    const tokenizer = await loadLlama2cTokenizer(join(stories260kDir, "tok512.bin"));
    const sequence = [...onceUponATimeIds];
    for (let step = 0; step < 40; step++) {
      const feeds = plainFeeds([sequence]);
      feeds["logit_positions"] = {
        dataType: "int64",
        dims: [1, 1],
        data: BigInt64Array.of(BigInt(sequence.length - 1)),
      };
      const { logits } = await runDecoder(graph, feeds);
      let best = 0;
      for (let v = 1; v < 512; v++) if (logits!.data[v]! > logits!.data[best]!) best = v;
      sequence.push(best);
    }
    expect(tokenizer.decode(sequence)).toBe(
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.",
    );
  });
});

describe("stories260K gradients (autodiff of the float64 graph)", () => {
  it("d logits[0, 3, 42] / d inputs_embeds matches central finite differences", async () => {
    const graph = buildDecoderGraph(weights, { input: "embeds", dataType: "float64" });
    const gradientModel = buildGradientGraph(graph.model, { of: ["logits"], wrt: ["inputs_embeds"] });
    const session = await sessionOf(gradientModel);
    const { hiddenSize: hidden, vocabSize: vocab } = weights.config;
    const seq = onceUponATimeIds.length;
    const table = weights.tensors.get("model.embed_tokens.weight")!.data;
    const embeds = Float64Array.from(
      onceUponATimeIds.flatMap((id) => Array.from(table.subarray(id * hidden, (id + 1) * hidden))),
    );
    const { input_ids: _, ...feeds } = plainFeeds([onceUponATimeIds]);
    const seed = new Float64Array(seq * vocab);
    seed[3 * vocab + 42] = 1;
    const outputs = await session.run({
      ...feeds,
      inputs_embeds: floatTensor(embeds, [1, seq, hidden], "float64"),
      logits_grad: floatTensor(seed, [1, seq, vocab], "float64"),
    });
    const gradient = outputs["inputs_embeds_grad"]!.data as Float64Array;
    expect(outputs["inputs_embeds_grad"]!.dims).toEqual([1, seq, hidden]);

    const forward = await sessionOf(graph.model);
    const objective = async (values: Float64Array) => {
      const result = await forward.run({
        ...feeds,
        inputs_embeds: floatTensor(values, [1, seq, hidden], "float64"),
      });
      return (result["logits"]!.data as Float64Array)[3 * vocab + 42]!;
    };
    const step = 1e-4;
    for (const [position, dim] of [
      [0, 5],
      [1, 17],
      [2, 40],
      [3, 63],
      [3, 0],
    ] as const) {
      const index = position * hidden + dim;
      const up = Float64Array.from(embeds);
      const down = Float64Array.from(embeds);
      up[index]! += step;
      down[index]! -= step;
      const numeric = ((await objective(up)) - (await objective(down))) / (2 * step);
      expect(Math.abs(numeric)).toBeGreaterThan(1e-3);
      expect(Math.abs(gradient[index]! - numeric) / Math.abs(numeric)).toBeLessThan(1e-5);
    }
    // Causality, exactly: the logits at position 3 do not depend on the embedding at position 4.
    expect(gradient.subarray(4 * hidden).every((value) => value === 0)).toBe(true);
  });
});
