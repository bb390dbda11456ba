import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildDecoderGraph } from "../../graphs/build-decoder-graph.ts";
import { maxAbsDiff, plainFeeds, runDecoder } from "../../graphs/run.test-helpers.ts";
import { writeRandomHfFolder } from "../../hf/write-random-folder.ts";
import { loadModel } from "../../load-model.ts";
import { randomWeights } from "../../testing/random-weights.ts";
import { referenceForward } from "../../testing/reference-llama.ts";
import type { DecoderWeights, RopeScaling } from "../../weights/types.ts";
import { ggufToDecoderWeights } from "./llama.ts";
import { writePhi3Gguf } from "./phi3-gguf.test-helpers.ts";
import { readGguf } from "./read.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-phi3-gguf-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// LongRoPE with an original context of 4 and a context of 32, as longrope.test.ts.
const longRope: RopeScaling = {
  type: "longrope",
  shortFactor: [1, 1.5, 2, 3],
  longFactor: [2, 4, 7, 11],
  originalMaxPositionEmbeddings: 4,
  attentionFactor: Math.sqrt(1 + Math.log(8) / Math.log(4)),
};

async function read(weights: DecoderWeights, source: string, omit: string[] = []): Promise<DecoderWeights> {
  return ggufToDecoderWeights(await readGguf(writePhi3Gguf(weights, { omit }), { source }));
}

async function graphLogits(weights: DecoderWeights, ids: number[]): Promise<ArrayLike<number>> {
  const graph = buildDecoderGraph(weights, { dataType: "float64" });
  return (await runDecoder(graph, plainFeeds([ids])))["logits"]!.data;
}

describe("GGUF phi3", () => {
  it("splits attn_qkv and ffn_up back into the weights written, with the window and LongRoPE", async () => {
    const weights = randomWeights("phi3", { contextLength: 32, ropeScaling: longRope, slidingWindow: 6 }, 41);
    const back = await read(weights, "phi3.gguf");
    expect(back.config).toMatchObject({
      architecture: "phi3",
      ropeStyle: "half",
      slidingWindow: 6,
      numKeyValueHeads: weights.config.numKeyValueHeads,
      tieWordEmbeddings: false,
    });
    expect(back.config.ropeScaling).toEqual({
      ...longRope,
      attentionFactor: Number(Math.fround(longRope.attentionFactor).toPrecision(8)),
    });
    expect([...back.tensors.keys()].sort()).toEqual([...weights.tensors.keys()].sort());
    for (const [name, tensor] of weights.tensors) {
      expect(back.tensors.get(name)!.dims, name).toEqual(tensor.dims);
      expect(Array.from(back.tensors.get(name)!.data), name).toEqual(
        Array.from(Float32Array.from(tensor.data)),
      );
    }
  });

  it("computes the independent reference's logits past the original context (LongRoPE's long factors)", async () => {
    // The reference has no sliding window: the window is carried by the config (above), not checked here.
    const weights = randomWeights("phi3", { contextLength: 32, ropeScaling: longRope }, 43);
    const back = await read(weights, "long.gguf");
    const ids = [5, 17, 3, 40, 9, 22, 41, 8, 30, 2];
    expect(maxAbsDiff(await graphLogits(back, ids), referenceForward(weights, ids).data)).toBeLessThan(1e-5);
  });

  it("loads from a file as the Hugging Face folder does: the same logits and generated tokens", async () => {
    const folder = await writeRandomHfFolder({
      architecture: "phi3",
      layers: 2,
      hidden: 64,
      heads: 4,
      kvHeads: 2,
      vocab: 512,
      seed: 19,
      out: join(root, "hf"),
    });
    const json = (name: string) => JSON.parse(readFileSync(join(folder.folder, name), "utf8"));
    const path = join(root, "phi3.gguf");
    writeFileSync(
      path,
      writePhi3Gguf(folder.weights, {
        tokenizer: { tokenizerJson: json("tokenizer.json"), tokenizerConfig: json("tokenizer_config.json") },
      }),
    );
    const hf = await loadModel(folder.folder);
    const gguf = await loadModel(path);
    try {
      expect(gguf.info.architecture).toBe("phi3");
      const ids = (await hf.tokenize("the fused matrices come apart")).tokens.map((token) => token.id!);
      const [a, b] = await Promise.all([hf, gguf].map((model) => model.forward!({ inputs: { ids: [ids] } })));
      expect(maxAbsDiff(b!.logits.data, a!.logits.data)).toBeLessThan(1e-5);
      const generated = await Promise.all(
        [hf, gguf].map((model) => model.generate!(ids, { maxNewTokens: 8 })),
      );
      expect(generated[1]!.ids).toEqual(generated[0]!.ids);
    } finally {
      await hf.dispose?.();
      await gguf.dispose?.();
    }
  });

  it("names a missing fused tensor and a misshapen LongRoPE factor", async () => {
    const weights = randomWeights("phi3", { contextLength: 32, ropeScaling: longRope }, 47);
    await expect(read(weights, "noqkv.gguf", ["blk.1.attn_qkv.weight"])).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringContaining("noqkv.gguf: the phi3 GGUF lacks tensor blk.1.attn_qkv.weight"),
    });
    await expect(read(weights, "noshort.gguf", ["rope_factors_short.weight"])).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringContaining("rope_factors_short.weight"),
    });
    const short: DecoderWeights = {
      ...weights,
      config: { ...weights.config, ropeScaling: { ...longRope, longFactor: [2, 4, 7] } },
    };
    await expect(read(short, "short.gguf")).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringContaining("rope_factors_long.weight must hold 4 positive finite factors"),
    });
  });
});
