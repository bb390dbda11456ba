import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LanguageModel } from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRandomHfFolder } from "../../hf/write-random-folder.ts";
import { loadModel } from "../../load-model.ts";
import { ggufLlamaTokenizer } from "../../tokenizers/gguf-llama.ts";
import type { ScoreBpeVocabulary } from "../../tokenizers/score-bpe.ts";
import type { DecoderWeights } from "../../weights/types.ts";
import { scoreVocabularyOfTokenizerJson, writeGemmaGguf } from "./gemma-gguf.test-helpers.ts";
import { ggufLlamaConfig, ggufToDecoderWeights } from "./llama.ts";
import { readGguf } from "./read.ts";
import { ggufValue, writeGguf } from "./write.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-gemma-gguf-"));
const texts = [
  "The river runs past the old mill and under the stone bridge.",
  "She said that the book was interesting, but he thought it was too long!",
];

function writeFile(name: string, bytes: Uint8Array): string {
  const path = join(root, name);
  writeFileSync(path, bytes);
  return path;
}

async function logitsOf(model: LanguageModel, ids: number[]): Promise<Float32Array> {
  return (await model.forward!({ inputs: { ids: [ids] } })).logits.data as Float32Array;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** `weights` with every norm weight raised by `offset`. */
function withNormsShifted(weights: DecoderWeights, offset: number): DecoderWeights {
  const tensors = new Map(
    [...weights.tensors].map(([name, tensor]) => [
      name,
      name.endsWith("norm.weight") ? { dims: tensor.dims, data: tensor.data.map((v) => v + offset) } : tensor,
    ]),
  );
  return { config: weights.config, tensors };
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

// Gemma 2's head size is 24 here so that the random config's query_pre_attn_scalar (24) is what
// llama.cpp derives from the GGUF (key_length, for any model but the 46-layer 27B); a checkpoint
// whose scalar is neither cannot be told apart in GGUF (see gemma2Settings).
describe.each([
  { architecture: "gemma", kvHeads: 1, headDim: 16 },
  { architecture: "gemma2", kvHeads: 2, headDim: 24 },
])("GGUF $architecture", ({ architecture, kvHeads, headDim }) => {
  let weights: DecoderWeights;
  let vocabulary: ScoreBpeVocabulary;
  let hf: LanguageModel;
  let gguf: LanguageModel;

  beforeAll(async () => {
    const folder = await writeRandomHfFolder({
      architecture,
      layers: 2,
      hidden: 64,
      heads: 4,
      kvHeads,
      headDim,
      vocab: 512,
      seed: 18,
      out: join(root, `${architecture}-hf`),
    });
    weights = folder.weights;
    const tokenizerJson = JSON.parse(readFileSync(join(folder.folder, "tokenizer.json"), "utf8"));
    vocabulary = scoreVocabularyOfTokenizerJson(
      tokenizerJson,
      folder.config.bosTokenId,
      folder.config.eosTokenId,
    );
    hf = await loadModel(folder.folder);
    // The random tokenizer prepends "▁" as Llama's does (real Gemma's does not): the GGUF says so.
    const bytes = writeGemmaGguf(weights, vocabulary, { addSpacePrefix: true });
    gguf = await loadModel(writeFile(`${architecture}.gguf`, bytes));
  }, 60_000);

  afterAll(async () => {
    await hf?.dispose?.();
    await gguf?.dispose?.();
  });

  it("reads the config and weights of the safetensors folder, norms back to Hugging Face's w", async () => {
    const file = await readGguf(writeGemmaGguf(weights, vocabulary), { source: "g.gguf" });
    const read = ggufToDecoderWeights(file);
    expect(read.config).toEqual({ ...weights.config, contextLength: read.config.contextLength });
    expect(read.config.contextLength).toBe(weights.config.contextLength);
    expect([...read.tensors.keys()].sort()).toEqual([...weights.tensors.keys()].sort());
    for (const [name, tensor] of weights.tensors) {
      const got = read.tensors.get(name)!.data;
      expect(maxDifference(got, tensor.data), name).toBeLessThan(1e-6);
    }
  });

  it("tokenizes as the safetensors folder: the same ids and spans", async () => {
    for (const text of texts) {
      const a = await hf.tokenize(text);
      const b = await gguf.tokenize(text);
      expect(b.tokens.map((token) => [token.id, token.span])).toEqual(
        a.tokens.map((token) => [token.id, token.span]),
      );
    }
  });

  it("gives the logits of the safetensors folder within 1e-5 and generates the same tokens", async () => {
    const ids = (await hf.tokenize(texts[0]!)).tokens.map((token) => token.id!);
    const worst = maxDifference(await logitsOf(hf, ids), await logitsOf(gguf, ids));
    console.info(`${architecture} GGUF F32 vs safetensors: max |Δlogit| = ${worst}`);
    expect(worst).toBeLessThan(1e-5);
    const a = await hf.generate!(ids, { maxNewTokens: 12 });
    const b = await gguf.generate!(ids, { maxNewTokens: 12 });
    expect(b.ids).toEqual(a.ids);
  });

  it("needs the norm offset: a graph fed the stored 1 + w differs by more than 1e-3", async () => {
    // Writing w + 1 as the weights stores w + 2; the loader takes 1 off, so the graph sees the
    // converter's 1 + w, which is what a loader skipping the subtraction would give it.
    const skipped = await loadModel(
      writeFile(`${architecture}-skipped.gguf`, writeGemmaGguf(withNormsShifted(weights, 1), vocabulary)),
    );
    try {
      const ids = (await hf.tokenize(texts[1]!)).tokens.map((token) => token.id!);
      const worst = maxDifference(await logitsOf(hf, ids), await logitsOf(skipped, ids));
      console.info(`${architecture} GGUF without the -1: max |Δlogit| = ${worst}`);
      expect(worst).toBeGreaterThan(1e-3);
    } finally {
      await skipped.dispose?.();
    }
  });
});

describe("GGUF gemma2 metadata", () => {
  /** A tensor-less gemma2 GGUF of the given sizes, for config checks. */
  async function gemma2Config(sizes: { layers: number; hidden: number; heads: number; headDim: number }) {
    const bytes = writeGguf({
      metadata: {
        "general.architecture": ggufValue.string("gemma2"),
        "gemma2.context_length": ggufValue.uint32(8192),
        "gemma2.embedding_length": ggufValue.uint32(sizes.hidden),
        "gemma2.block_count": ggufValue.uint32(sizes.layers),
        "gemma2.feed_forward_length": ggufValue.uint32(4 * sizes.hidden),
        "gemma2.attention.head_count": ggufValue.uint32(sizes.heads),
        "gemma2.attention.head_count_kv": ggufValue.uint32(sizes.heads / 2),
        "gemma2.attention.key_length": ggufValue.uint32(sizes.headDim),
        "gemma2.attention.layer_norm_rms_epsilon": ggufValue.float32(1e-6),
        "tokenizer.ggml.tokens": ggufValue.strings(Array.from({ length: 300 }, (_, i) => `t${i}`)),
      },
      tensors: [],
    });
    return ggufLlamaConfig(await readGguf(bytes, { source: "meta.gguf" }));
  }

  it("derives the attention scale as llama.cpp does: hidden / heads for the 27B, the head size otherwise", async () => {
    // Gemma 2 27B: 46 layers, hidden 4608, 32 heads of 128; its query_pre_attn_scalar is 144.
    const large = await gemma2Config({ layers: 46, hidden: 4608, heads: 32, headDim: 128 });
    expect(large.queryPreAttentionScalar).toBe(144);
    // Gemma 2 9B: 42 layers, hidden 3584, 16 heads of 256; query_pre_attn_scalar 256.
    const nine = await gemma2Config({ layers: 42, hidden: 3584, heads: 16, headDim: 256 });
    expect(nine.queryPreAttentionScalar).toBe(256);
  });

  it("takes llama.cpp's defaults for absent keys: window 4096, soft caps 50 and 30, NEOX rotary", async () => {
    const config = await gemma2Config({ layers: 26, hidden: 2304, heads: 8, headDim: 256 });
    expect(config).toMatchObject({
      slidingWindow: 4096,
      attentionLogitSoftcap: 50,
      finalLogitSoftcap: 30,
      ropeStyle: "half",
      ropeTheta: 10000,
      activation: "gelu_tanh",
      tieWordEmbeddings: true,
    });
  });
});

describe("GGUF gemma2 hostile files", () => {
  let weights: DecoderWeights;
  let vocabulary: ScoreBpeVocabulary;

  beforeAll(async () => {
    const folder = await writeRandomHfFolder({
      architecture: "gemma2",
      layers: 2,
      hidden: 32,
      heads: 4,
      kvHeads: 2,
      vocab: 300,
      seed: 3,
      out: join(root, "gemma2-hostile"),
    });
    weights = folder.weights;
    const tokenizerJson = JSON.parse(readFileSync(join(folder.folder, "tokenizer.json"), "utf8"));
    vocabulary = scoreVocabularyOfTokenizerJson(tokenizerJson, 1, 2);
  }, 60_000);

  it("refuses a file missing post_ffw_norm, naming the tensor", async () => {
    const bytes = writeGemmaGguf(weights, vocabulary, { omit: ["blk.1.post_ffw_norm.weight"] });
    const file = await readGguf(bytes, { source: "nopost.gguf" });
    expect(() => ggufToDecoderWeights(file)).toThrow(
      expect.objectContaining({
        code: "MODEL_LOAD_FAILED",
        message: expect.stringContaining(
          "nopost.gguf: the gemma2 GGUF lacks tensor blk.1.post_ffw_norm.weight",
        ),
      }),
    );
  });

  it("refuses a non-positive soft cap, naming the key", async () => {
    const bytes = writeGemmaGguf(weights, vocabulary, {
      metadata: { "gemma2.attn_logit_softcapping": ggufValue.float32(0) },
    });
    const file = await readGguf(bytes, { source: "cap.gguf" });
    expect(() => ggufToDecoderWeights(file)).toThrow(
      expect.objectContaining({
        code: "MODEL_LOAD_FAILED",
        message: expect.stringContaining("gemma2.attn_logit_softcapping must be positive, got 0"),
      }),
    );
  });

  it("reads Gemma's tokenizer ids and no dummy prefix (add_space_prefix false)", async () => {
    // Real Gemma vocabularies put <eos> at 1 and <bos> at 2; the converter writes add_space_prefix false.
    const gemmaIds = { ...vocabulary, bosId: 2, eosId: 1 };
    const file = await readGguf(writeGemmaGguf(weights, gemmaIds));
    const tokenizer = ggufLlamaTokenizer(file.metadata);
    expect([tokenizer.bosId, tokenizer.eosId]).toEqual([2, 1]);
    const tokens = tokenizer.encode("The river", { addBos: true, addEos: true });
    expect(tokens[0]!.id).toBe(2);
    expect(tokens.at(-1)!.id).toBe(1);
    expect(tokenizer.idToPiece(tokens[1]!.id!).startsWith(" ")).toBe(false);
    const prefixed = ggufLlamaTokenizer({ ...file.metadata, "tokenizer.ggml.add_space_prefix": true });
    expect(prefixed.idToPiece(prefixed.encode("The river")[0]!.id!).startsWith(" ")).toBe(true);
  });
});
