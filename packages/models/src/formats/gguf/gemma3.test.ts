import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDecoderGraph } from "../../graphs/build-decoder-graph.ts";
import { int64Rows, maxAbsDiff, runDecoder } from "../../graphs/run.test-helpers.ts";
import { loadModel } from "../../load-model.ts";
import { randomWeights } from "../../testing/random-weights.ts";
import { referenceGemmaForward } from "../../testing/reference-gemma.ts";
import type { ScoreBpeVocabulary } from "../../tokenizers/score-bpe.ts";
import type { DecoderConfig } from "../../weights/types.ts";
import { gemmaGgufInput, writeGemmaGguf } from "./gemma-gguf.test-helpers.ts";
import { ggufToDecoderWeights } from "./llama.ts";
import { readGguf } from "./read.ts";
import { writeGguf } from "./write.ts";

/**
 * A Gemma 3 text model as GGUF can say it: llama.cpp fixes five local layers per global one and the
 * local rotary base 10000, and derives the attention scale from the head size (7 layers: local
 * 0–4, global 5, local 6).
 */
const config: Partial<DecoderConfig> = {
  numLayers: 7,
  slidingWindowPattern: 6,
  slidingWindow: 3,
  queryPreAttentionScalar: 16,
  ropeScaling: { type: "linear", factor: 8 },
};
const weights = randomWeights("gemma3_text", config, 23);

/** Tokens t0, t1, ... with <unk> 0, <bos> 1, <eos> 2: these tests feed ids. */
function vocabularyOf(size: number): ScoreBpeVocabulary {
  return {
    pieces: Array.from({ length: size }, (_, i) => `t${i}`),
    scores: new Float32Array(size),
    byteTokenIds: new Array<number>(256).fill(-1),
    specialIds: new Set([0, 1, 2]),
    unknownId: 0,
    bosId: 1,
    eosId: 2,
  };
}

const vocabulary = vocabularyOf(weights.config.vocabSize);
const read = async (bytes: Uint8Array) => ggufToDecoderWeights(await readGguf(bytes, { source: "g3.gguf" }));

describe("GGUF gemma3 (Gemma 3's text model)", () => {
  it("reads the config and weights it was written from, q/k norms and the four block norms back to w", async () => {
    const got = await read(writeGemmaGguf(weights, vocabulary));
    expect(got.config).toEqual(weights.config);
    expect([...got.tensors.keys()].sort()).toEqual([...weights.tensors.keys()].sort());
    for (const [name, tensor] of weights.tensors) {
      expect(maxAbsDiff(got.tensors.get(name)!.data, tensor.data), name).toBeLessThan(1e-6);
    }
    expect(got.tensors.has("model.layers.3.self_attn.q_norm.weight")).toBe(true);
  });

  it("gives the independent reference's logits within 1e-4, local and global layers alike", async () => {
    const got = await read(writeGemmaGguf(weights, vocabulary));
    const ids = [1, 9, 30, 4, 17, 22, 5, 11];
    const { logits } = await runDecoder(buildDecoderGraph(got), {
      input_ids: int64Rows([ids]),
      attention_mask: int64Rows([ids.map(() => 1)]),
      position_ids: int64Rows([ids.map((_, i) => i)]),
    });
    const expected = referenceGemmaForward(weights, ids);
    expect(maxAbsDiff(logits!.data, expected.data)).toBeLessThan(1e-4);
  });

  it("loads as a model: its logits are the graph's, and it generates", async () => {
    const folder = mkdtempSync(join(tmpdir(), "tokenscope-gemma3-gguf-"));
    try {
      const path = join(folder, "gemma3.gguf");
      writeFileSync(path, writeGemmaGguf(weights, vocabulary));
      const model = await loadModel(path);
      try {
        expect(model.info.architecture).toBe("gemma3_text");
        const ids = [1, 9, 30, 4, 17];
        const { logits } = await model.forward!({ inputs: { ids: [ids] } });
        expect(maxAbsDiff(logits.data, referenceGemmaForward(weights, ids).data)).toBeLessThan(1e-4);
        expect((await model.generate!(ids, { maxNewTokens: 3 })).ids).toHaveLength(3);
      } finally {
        await model.dispose?.();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("reads no rope scaling when the file has none, and refuses a file without the window, naming the key", async () => {
    // The tiny Gemma 3 config scales its global rotary by 8: take that off.
    const plain = randomWeights("gemma3_text", config, 24);
    delete plain.config.ropeScaling;
    expect((await read(writeGemmaGguf(plain, vocabulary))).config.ropeScaling).toBeUndefined();
    const input = gemmaGgufInput(weights, vocabulary);
    const { "gemma3.attention.sliding_window": __, ...metadata } = input.metadata;
    await expect(read(writeGguf({ ...input, metadata }))).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringContaining("gemma3.attention.sliding_window"),
    });
  });
});
