import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadLlama2cCheckpoint } from "../formats/node-loaders.ts";
import { readFileBytes } from "../formats/read-file.ts";
import { writeSafetensors } from "../formats/safetensors/write.ts";
import { stories260kDir } from "../testing/assets.test-helpers.ts";
import { readLlama2cVocabulary } from "../tokenizers/llama2c.ts";
import { withRopeStyle } from "../weights/rope-permute.ts";
import { hfConfigJson } from "./config-json.ts";

const specialPieces = ["<unk>", "<s>", "</s>"];

/**
 * BPE merges equivalent to llama2.c's score-driven merging, as transformers' LlamaConverter
 * derives them: every split of a piece into two vocabulary pieces, ranked by the merged piece's
 * score (highest first).
 */
function mergesOf(pieces: readonly string[], scores: ArrayLike<number>): string[] {
  const ids = new Map(pieces.map((piece, id) => [piece, id]));
  const merges: Array<{ left: string; right: string; score: number; leftId: number; rightId: number }> = [];
  pieces.forEach((piece, id) => {
    if (id < 3 || /^<0x[0-9A-F]{2}>$/.test(piece)) return;
    const characters = [...piece];
    for (let cut = 1; cut < characters.length; cut++) {
      const left = characters.slice(0, cut).join("");
      const right = characters.slice(cut).join("");
      if (ids.has(left) && ids.has(right)) {
        merges.push({ left, right, score: scores[id]!, leftId: ids.get(left)!, rightId: ids.get(right)! });
      }
    }
  });
  merges.sort((a, b) => b.score - a.score || a.leftId - b.leftId || a.rightId - b.rightId);
  return merges.map(({ left, right }) => `${left} ${right}`);
}

/**
 * Writes the real stories260K model as a Hugging Face folder, as transformers' Llama conversion
 * script would: RoPE rows permuted to the "half" layout, config.json, model.safetensors, and a
 * tokenizer.json in Llama 2's layout (SentencePiece BPE with byte fallback) built from tok512.bin.
 */
export async function writeStories260kHfFolder(out: string): Promise<void> {
  const weights = withRopeStyle(await loadLlama2cCheckpoint(join(stories260kDir, "stories260K.bin")), "half");
  const vocabulary = readLlama2cVocabulary(await readFileBytes(join(stories260kDir, "tok512.bin")));
  const pieces = vocabulary.pieces.map((piece, id) =>
    id < 3 ? specialPieces[id]! : piece.replaceAll(" ", "▁"),
  );
  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specialPieces.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "Prepend", prepend: "▁" },
        { type: "Replace", pattern: { String: " " }, content: "▁" },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: "▁" }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      vocab: Object.fromEntries(pieces.map((piece, id) => [piece, id])),
      merges: mergesOf(pieces, vocabulary.scores),
    },
  };
  const tokenizerConfig = {
    tokenizer_class: "LlamaTokenizerFast",
    add_bos_token: true,
    add_eos_token: false,
    bos_token: "<s>",
    eos_token: "</s>",
    unk_token: "<unk>",
    clean_up_tokenization_spaces: false,
  };
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "config.json"), JSON.stringify(hfConfigJson(weights.config)));
  await writeFile(join(out, "tokenizer.json"), JSON.stringify(tokenizerJson));
  await writeFile(join(out, "tokenizer_config.json"), JSON.stringify(tokenizerConfig));
  await writeFile(
    join(out, "model.safetensors"),
    writeSafetensors(
      [...weights.tensors].map(([name, t]) => [name, { dtype: "F32", dims: t.dims, data: t.data }]),
    ),
  );
}
