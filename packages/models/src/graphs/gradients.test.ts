import { buildGradientGraph, type RuntimeTensor } from "@tokenscope/tensor-backends";
import { describe, expect, it } from "vitest";
import { randomWeights } from "../testing/random-weights.ts";
import { FINAL_NORM, LM_HEAD } from "../weights/names.ts";
import type { DecoderConfig } from "../weights/types.ts";
import { buildDecoderGraph } from "./build-decoder-graph.ts";
import { floatTensor, plainFeeds, sessionOf } from "./run.test-helpers.ts";

const prompt = [1, 7, 30, 3, 45, 12];
const target = { position: 3, token: 42 };

/** A one-hot seed on logits[0, position, token]. */
function logitSeed(seq: number, vocab: number): RuntimeTensor {
  const seed = new Float64Array(seq * vocab);
  seed[target.position * vocab + target.token] = 1;
  return floatTensor(seed, [1, seq, vocab], "float64");
}

describe("every family's float64 graph differentiates with buildGradientGraph", () => {
  const tables: Record<string, string> = {
    llama: "model.embed_tokens.weight",
    qwen2: "model.embed_tokens.weight",
    qwen3: "model.embed_tokens.weight",
    gemma: "model.embed_tokens.weight",
    gemma2: "model.embed_tokens.weight",
    phi3: "model.embed_tokens.weight",
    gpt2: "transformer.wte.weight",
    gpt_neox: "gpt_neox.embed_in.weight",
    opt: "model.decoder.embed_tokens.weight",
  };
  const cases: [string, string, Partial<DecoderConfig>][] = [
    ...Object.keys(tables).map((architecture): [string, string, Partial<DecoderConfig>] => [
      architecture,
      architecture,
      {},
    ]),
    // opt-350m's shape: the 12-wide embeddings are differentiated before project_in widens them.
    ["opt projected post-norm", "opt", { wordEmbeddingSize: 12, layerNormBefore: false }],
  ];
  for (const [title, architecture, config] of cases) {
    const table = tables[architecture]!;
    it(`${title}: d logit / d inputs_embeds matches central finite differences`, async () => {
      const weights = randomWeights(architecture, config, 21);
      const { vocabSize: vocab } = weights.config;
      const hidden = weights.config.wordEmbeddingSize ?? weights.config.hiddenSize;
      const seq = prompt.length;
      const graph = buildDecoderGraph(weights, { input: "embeds", dataType: "float64" });
      const gradientSession = await sessionOf(
        buildGradientGraph(graph.model, { of: ["logits"], wrt: ["inputs_embeds"] }),
      );
      const rows = weights.tensors.get(table)!.data;
      const embeds = Float64Array.from(
        prompt.flatMap((id) => Array.from(rows.subarray(id * hidden, (id + 1) * hidden))),
      );
      const { input_ids: _, ...feeds } = plainFeeds([prompt]);
      const embedsFeed = (values: Float64Array) => floatTensor(values, [1, seq, hidden], "float64");
      const outputs = await gradientSession.run({
        ...feeds,
        inputs_embeds: embedsFeed(embeds),
        logits_grad: logitSeed(seq, vocab),
      });
      const gradient = outputs["inputs_embeds_grad"]!.data as Float64Array;
      const forward = await sessionOf(graph.model);
      const objective = async (values: Float64Array) =>
        (
          (await forward.run({ ...feeds, inputs_embeds: embedsFeed(values) }))["logits"]!.data as Float64Array
        )[target.position * vocab + target.token]!;
      const [step, tolerance] = [1e-4, 1e-5];
      for (const [position, dim] of [
        [0, 3],
        [2, 30 % hidden],
        [3, 11],
      ] as const) {
        const index = position * hidden + dim;
        const up = Float64Array.from(embeds);
        const down = Float64Array.from(embeds);
        up[index]! += step;
        down[index]! -= step;
        const numeric = ((await objective(up)) - (await objective(down))) / (2 * step);
        expect(Math.abs(numeric)).toBeGreaterThan(1e-4);
        expect(Math.abs(gradient[index]! - numeric) / Math.abs(numeric)).toBeLessThan(tolerance);
      }
      expect(gradient.subarray((target.position + 1) * hidden).every((value) => value === 0)).toBe(true);
    });
  }
});

describe("gradients with respect to internal tensors", () => {
  const weights = randomWeights("llama", {}, 22);
  const c = weights.config;
  const seq = prompt.length;
  const last = `residual.${c.numLayers - 1}`;

  it("d logit / d residual.{last} is the derivative of the final norm and output row", async () => {
    const graph = buildDecoderGraph(weights, { dataType: "float64", taps: { residual: [c.numLayers - 1] } });
    const wrt = [last, "mlp.0", "attention_probs.1", "values.0", "embeddings"];
    const session = await sessionOf(buildGradientGraph(graph.model, { of: ["logits"], wrt }));
    const outputs = await session.run({ ...plainFeeds([prompt]), logits_grad: logitSeed(seq, c.vocabSize) });
    const residual = outputs[last]!.data as Float64Array;
    const gradient = outputs[`${last}_grad`]!.data as Float64Array;
    const norm = weights.tensors.get(FINAL_NORM)!.data;
    const head = weights.tensors.get(LM_HEAD)!.data;
    const logit = (x: Float64Array) => {
      const scale = 1 / Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length + c.rmsNormEps);
      return x.reduce((sum, v, i) => sum + head[target.token * c.hiddenSize + i]! * v * scale * norm[i]!, 0);
    };
    const at = residual.slice(target.position * c.hiddenSize, (target.position + 1) * c.hiddenSize);
    for (let i = 0; i < c.hiddenSize; i++) {
      const up = Float64Array.from(at);
      const down = Float64Array.from(at);
      up[i]! += 1e-5;
      down[i]! -= 1e-5;
      const numeric = (logit(up) - logit(down)) / 2e-5;
      expect(gradient[target.position * c.hiddenSize + i]).toBeCloseTo(numeric, 8);
    }
    // Only position 3 of the last residual reaches logits[0, 3].
    gradient.forEach((value, i) => {
      if (Math.floor(i / c.hiddenSize) !== target.position) expect(value).toBe(0);
    });
    // Every tap is differentiable; none after the target position matters (causality).
    expect(outputs["mlp.0_grad"]!.dims).toEqual([1, seq, c.intermediateSize]);
    expect(outputs["attention_probs.1_grad"]!.dims).toEqual([1, c.numHeads, seq, seq]);
    expect(outputs["values.0_grad"]!.dims).toEqual([1, c.numKeyValueHeads, seq, c.headDim]);
    const mlp = outputs["mlp.0_grad"]!.data as Float64Array;
    expect(mlp.subarray((target.position + 1) * c.intermediateSize).every((value) => value === 0)).toBe(true);
    expect(mlp.subarray(0, (target.position + 1) * c.intermediateSize).some((value) => value !== 0)).toBe(
      true,
    );
  });
});
