import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError } from "@tokenscope/core";
import { afterAll, describe, expect, it } from "vitest";
import { readSafetensors, safetensorToFloat32 } from "../formats/safetensors/read.ts";
import { buildBartGraph } from "../graphs/encoder-decoder/bart.ts";
import { type BartConfig, bartConfigFromHf } from "../graphs/encoder-decoder/bart-config.ts";
import { referenceBartLogits } from "../graphs/encoder-decoder/bart-reference.test-helpers.ts";
import { buildT5Graph } from "../graphs/encoder-decoder/t5.ts";
import { type T5Config, t5ConfigFromHf } from "../graphs/encoder-decoder/t5-config.ts";
import { referenceT5Logits } from "../graphs/encoder-decoder/t5-reference.test-helpers.ts";
import { int64Rows, maxAbsDiff, sessionOf } from "../graphs/run.test-helpers.ts";
import { hfTokenizerFromJson } from "../tokenizers/hf-pretrained.ts";
import type { WeightTensor } from "../weights/types.ts";
import {
  type RandomEncoderDecoderFolderOptions,
  randomMbartLanguageCodes,
  writeRandomEncoderDecoderFolder,
} from "./write-random-encoder-decoder-folder.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-hf-random-seq2seq-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
const tiny = (
  options: Partial<RandomEncoderDecoderFolderOptions> = {},
): RandomEncoderDecoderFolderOptions => ({
  architecture: "bart",
  layers: 2,
  hidden: 32,
  heads: 4,
  vocab: 320,
  seed: 3,
  out: join(root, `case-${counter++}`),
  ...options,
});

async function errorOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    return isTokenscopeError(error) ? `${error.code}: ${error.message}` : `other: ${error}`;
  }
  return "no error";
}

const readJson = (folder: string, name: string) => JSON.parse(readFileSync(join(folder, name), "utf8"));

function readWeights(folder: string): Map<string, WeightTensor> {
  const file = readSafetensors(readFileSync(join(folder, "model.safetensors")));
  return new Map(
    [...file.tensors].map(([name, tensor]) => [
      name,
      { dims: tensor.dims, data: safetensorToFloat32(tensor) },
    ]),
  );
}

/** Logits of the graph built from `tensors` on one source/target pair, and the float64 reference's. */
async function graphAndReference(
  config: BartConfig | T5Config,
  tensors: Map<string, WeightTensor>,
  source: number[],
  target: number[],
  dataType: "float32" | "float64" = "float32",
): Promise<{ graph: Float32Array | Float64Array; reference: Float64Array }> {
  const model =
    config.architecture === "t5"
      ? buildT5Graph({ config, tensors }, { dataType }).model
      : buildBartGraph({ config, tensors }, { dataType }).model;
  const ones = (row: number[]) => [row.map(() => 1)];
  const outputs = await (await sessionOf(model)).run({
    input_ids: int64Rows([source]),
    attention_mask: int64Rows(ones(source)),
    decoder_input_ids: int64Rows([target]),
    decoder_attention_mask: int64Rows(ones(target)),
  });
  const rows =
    config.architecture === "t5"
      ? referenceT5Logits(config, tensors, source, target)
      : referenceBartLogits(config, tensors, source, target);
  return {
    graph: outputs["logits"]!.data as Float32Array | Float64Array,
    reference: Float64Array.from(rows.flatMap((row) => [...row])),
  };
}

const families = [
  { name: "bart", options: { architecture: "bart" } },
  { name: "mbart", options: { architecture: "mbart" } },
  { name: "t5 gated-gelu (flan-t5)", options: { architecture: "t5" } },
  { name: "t5 relu (T5 v1.0)", options: { architecture: "t5", feedForward: "relu", vocab: 200 } },
  { name: "marian", options: { architecture: "marian" } },
] satisfies { name: string; options: Partial<RandomEncoderDecoderFolderOptions> }[] as {
  name: string;
  options: Partial<RandomEncoderDecoderFolderOptions> &
    Pick<RandomEncoderDecoderFolderOptions, "architecture">;
}[];

const english = "The river runs past the old mill, and 42 children walk home.";

describe("writeRandomEncoderDecoderFolder", () => {
  for (const { name, options } of families) {
    it(`${name}: config, weights and tokenizer read back; the graph matches the float64 reference`, async () => {
      const written = await writeRandomEncoderDecoderFolder(tiny(options));
      const { folder, config } = written;
      const tokenizerFiles =
        options.architecture === "marian" ? ["source.spm", "target.spm", "vocab.json"] : ["tokenizer.json"];
      expect(readdirSync(folder).sort()).toEqual(
        [
          "config.json",
          "generation_config.json",
          "model.safetensors",
          "special_tokens_map.json",
          "tokenizer_config.json",
          ...tokenizerFiles,
        ].sort(),
      );
      expect([...written.files].sort()).toEqual(readdirSync(folder).sort());

      const configJson = readJson(folder, "config.json");
      expect(configJson.model_type).toBe(options.architecture);
      const readBack =
        options.architecture === "t5" ? t5ConfigFromHf(configJson) : bartConfigFromHf(configJson);
      expect(readBack).toEqual(config);
      expect(config).toMatchObject({
        vocabSize: options.vocab ?? 320,
        hiddenSize: 32,
        numHeads: 4,
        encoderLayers: 2,
        decoderLayers: 2,
      });
      const generation = readJson(folder, "generation_config.json");
      expect(generation).toMatchObject({
        decoder_start_token_id: config.decoderStartTokenId,
        eos_token_id: config.eosTokenId,
        pad_token_id: config.padTokenId,
      });

      // The weights read back bit for bit, under exactly the names the graph builders read.
      const weights = readWeights(folder);
      expect([...weights.keys()].sort()).toEqual([...written.weights.keys()].sort());
      for (const [tensorName, tensor] of written.weights) {
        expect(weights.get(tensorName)!.dims).toEqual(tensor.dims);
        expect(weights.get(tensorName)!.data).toEqual(tensor.data);
      }

      const source = [5, 17, 3, 29, 11, 40, config.eosTokenId];
      const target = [config.decoderStartTokenId, 8, 21, 36, 90];
      const { graph, reference } = await graphAndReference(config, weights, source, target);
      expect(graph.length).toBe(target.length * config.vocabSize);
      expect(maxAbsDiff(graph, reference)).toBeLessThan(1e-4);
      const exact = await graphAndReference(config, weights, source, target, "float64");
      expect(maxAbsDiff(exact.graph, exact.reference)).toBeLessThan(1e-9);
      if (process.env["FIGURES"])
        console.log(name, maxAbsDiff(graph, reference), Math.max(...reference.map(Math.abs)));
      // Not degenerate: the logits spread over an order of magnitude, and differ between positions.
      expect(Math.max(...reference.map(Math.abs))).toBeGreaterThan(0.5);
      const row = (t: number) => reference.subarray(t * config.vocabSize, (t + 1) * config.vocabSize);
      expect(maxAbsDiff(row(1), row(2))).toBeGreaterThan(0.1);

      if (options.architecture === "marian") {
        expect(config).toMatchObject({
          padTokenId: 319,
          decoderStartTokenId: 319,
          eosTokenId: 0,
          scaleEmbedding: true,
          positions: "sinusoidal",
        });
        expect(readJson(folder, "vocab.json")["<pad>"]).toBe(319);
        // No tokenizer.json: the folder's SentencePiece models load through the Marian tokenizer.
        const { marianTokenizer } = await import("../tokenizers/sentencepiece/marian-tokenizer.ts");
        const marian = marianTokenizer({
          sourceSpm: readFileSync(join(folder, "source.spm")),
          targetSpm: readFileSync(join(folder, "target.spm")),
          vocab: readJson(folder, "vocab.json"),
          tokenizerConfig: readJson(folder, "tokenizer_config.json"),
        });
        expect(marian.specialTokens.eos).toEqual([0]);
        expect(marian.specialTokens.pad).toBe(319);
        const tokens = await marian.encode(english, { addSpecialTokens: true });
        expect(tokens.at(-1)!.id).toBe(0);
        expect(tokens.every((token) => token.id! >= 0 && token.id! < 320)).toBe(true);
        const target = await marian.encode(english, { addSpecialTokens: false, continuation: true });
        expect(await marian.decode(target.map((token) => token.id!))).toBe(english);
        return;
      }
      const tokenizer = hfTokenizerFromJson({
        tokenizerJson: readJson(folder, "tokenizer.json"),
        tokenizerConfig: readJson(folder, "tokenizer_config.json"),
      });
      expect(tokenizer.vocabSize).toBe(config.vocabSize);
      expect(tokenizer.specialTokens.eos).toEqual([config.eosTokenId]);
      expect(tokenizer.specialTokens.pad).toBe(config.padTokenId);
      const tokens = await tokenizer.encode(english, { addSpecialTokens: true });
      const ids = tokens.map((token) => token.id!);
      expect(ids.every((id) => id >= 0 && id < config.vocabSize)).toBe(true);
      expect(ids.at(-1)).toBe(config.eosTokenId);
      expect(await tokenizer.decode(tokens.filter((token) => !token.special).map((token) => token.id!))).toBe(
        english,
      );
      expect(
        tokens
          .filter((token) => !token.special)
          .map((token) => token.text)
          .join(""),
      ).toBe(english);
      if (options.architecture === "bart") {
        expect(ids[0]).toBe(configJson.bos_token_id);
        expect(configJson).toMatchObject({
          bos_token_id: 1,
          eos_token_id: 2,
          pad_token_id: 3,
          decoder_start_token_id: 2,
          forced_bos_token_id: 1,
        });
        expect((config as BartConfig).forcedBosTokenId).toBe(1);
      } else if (options.architecture === "mbart") {
        const codes = readJson(folder, "tokenizer_config.json").additional_special_tokens;
        expect(codes).toEqual([...randomMbartLanguageCodes]);
        const enXX = tokenizer.encode === undefined ? -1 : ids[0]!;
        expect(enXX).toBe(320 - randomMbartLanguageCodes.length);
        expect(configJson.forced_bos_token_id).toBeNull();
        expect((config as BartConfig).forcedBosTokenId).toBeUndefined();
        expect(config).toMatchObject({
          decoderStartTokenId: 2,
          eosTokenId: 2,
          normPosition: "pre",
          scaleEmbedding: true,
        });
      } else {
        expect(config).toMatchObject({ padTokenId: 0, eosTokenId: 1, decoderStartTokenId: 0 });
        expect((config as T5Config).tieWordEmbeddings).toBe(options.feedForward === "relu");
        expect(ids[0]).not.toBe(config.padTokenId);
      }
    });
  }

  it("writes BF16 as the weights' round-to-nearest-even, and is deterministic by seed", async () => {
    const options = { architecture: "t5", layers: 1, hidden: 16, heads: 2, vocab: 200 } as const;
    const bf16 = await writeRandomEncoderDecoderFolder(tiny({ ...options, dtype: "BF16" }));
    const file = readSafetensors(readFileSync(join(bf16.folder, "model.safetensors")));
    const bits = new Uint32Array(1);
    const asFloat = new Float32Array(bits.buffer);
    for (const [name, tensor] of bf16.weights) {
      const stored = file.tensors.get(name)!;
      expect(stored.dtype).toBe("BF16");
      const rounded = Float32Array.from(tensor.data, (value) => {
        asFloat[0] = value;
        bits[0] = ((bits[0]! + 0x7fff + ((bits[0]! >>> 16) & 1)) >>> 16) << 16;
        return asFloat[0]!;
      });
      expect(safetensorToFloat32(stored)).toEqual(rounded);
    }
    const again = await writeRandomEncoderDecoderFolder(tiny({ ...options, dtype: "BF16" }));
    expect(readFileSync(join(again.folder, "model.safetensors"))).toEqual(
      readFileSync(join(bf16.folder, "model.safetensors")),
    );
    const other = await writeRandomEncoderDecoderFolder(tiny({ ...options, seed: 4 }));
    expect(other.weights.get("shared.weight")!.data).not.toEqual(bf16.weights.get("shared.weight")!.data);
  });

  it("refuses sizes that make no model or tokenizer, naming the flag, before writing", async () => {
    const out = join(root, "refused");
    const cases: [Partial<RandomEncoderDecoderFolderOptions>, string][] = [
      [
        { vocab: 100 },
        "INVALID_INPUT: models random: --vocab 100 is too small for the bart tokenizer, which needs at least 263 ids.",
      ],
      [
        { architecture: "mbart", vocab: 264 },
        "INVALID_INPUT: models random: --vocab 264 is too small for the mbart tokenizer, which needs at least 267 ids.",
      ],
      [
        { architecture: "t5", vocab: 50 },
        "INVALID_INPUT: models random: --vocab 50 is too small for the t5 tokenizer",
      ],
      [
        { hidden: 30 },
        "INVALID_INPUT: models random: hidden 30 / heads 4 gives head size 7.5, not an integer.",
      ],
      [
        { architecture: "t5", hidden: 30 },
        "INVALID_INPUT: models random: hidden 30 / heads 4 gives head size 7.5",
      ],
      [
        { architecture: "marian", vocab: 100 },
        "INVALID_INPUT: A random Marian tokenizer needs vocabSize >= 110",
      ],
      [{ layers: 0 }, "INVALID_INPUT: models random: --layers must be a positive integer, got 0."],
      [{ ffn: 1.5 }, "INVALID_INPUT: models random: --ffn must be a positive integer, got 1.5."],
      [{ headDim: 4 }, "INVALID_INPUT: models random: bart has head size hidden / heads, not 4."],
      [{ feedForward: "relu" }, "INVALID_INPUT: models random: --feed-forward is T5's"],
      [
        { architecture: "t5", feedForward: "gated-silu" as "relu" },
        "INVALID_INPUT: models random: --feed-forward must be relu or gated-gelu",
      ],
      [
        { architecture: "pegasus" as "bart" },
        'UNSUPPORTED_ARCHITECTURE: models random: no encoder-decoder architecture "pegasus"',
      ],
    ];
    for (const [options, message] of cases) {
      expect(await errorOf(() => writeRandomEncoderDecoderFolder(tiny({ ...options, out })))).toContain(
        message,
      );
    }
    expect(existsSync(out)).toBe(false);
    // T5 takes a head size that is not hidden / heads (d_kv), as its configs may.
    const t5 = await writeRandomEncoderDecoderFolder(
      tiny({ architecture: "t5", hidden: 30, headDim: 6, vocab: 200 }),
    );
    expect(t5.config).toMatchObject({ hiddenSize: 30, headDim: 6, ffnSize: 60 });
  });

  it("inherits writeRandomHfFolder's --out rules: no overwrite without force, model folders only with it", async () => {
    const out = join(root, "forced");
    const first = await writeRandomEncoderDecoderFolder(tiny({ architecture: "t5", out, vocab: 200 }));
    expect(
      await errorOf(() => writeRandomEncoderDecoderFolder(tiny({ architecture: "t5", out, vocab: 200 }))),
    ).toMatch(/^IO_ERROR: .*exists and is not empty/);
    const replaced = await writeRandomEncoderDecoderFolder(tiny({ architecture: "bart", out, force: true }));
    expect(readJson(out, "config.json").model_type).toBe("bart");
    expect(replaced.files).toContain("tokenizer.json");
    expect(first.files).toContain("tokenizer.json");
    // A Marian folder (source.spm, target.spm) is a model folder too: replaced, and replaced again.
    await writeRandomEncoderDecoderFolder(tiny({ architecture: "marian", out, force: true }));
    expect(readJson(out, "config.json").model_type).toBe("marian");
    await writeRandomEncoderDecoderFolder(tiny({ architecture: "bart", out, force: true }));
    expect(existsSync(join(out, "source.spm"))).toBe(false);
    writeFileSync(join(out, "notes.txt"), "mine");
    expect(await errorOf(() => writeRandomEncoderDecoderFolder(tiny({ out, force: true })))).toMatch(
      /^IO_ERROR: .*notes\.txt, so it is not a model folder/,
    );
    expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe("mine");
    const aborted = new AbortController();
    aborted.abort();
    const fresh = join(root, "aborted");
    expect(
      await errorOf(() => writeRandomEncoderDecoderFolder(tiny({ out: fresh, signal: aborted.signal }))),
    ).toMatch(/^ABORTED/);
    expect(existsSync(fresh)).toBe(false);
  });
});
