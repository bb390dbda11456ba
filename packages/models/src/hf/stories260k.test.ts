import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLlama2cTokenizer } from "../formats/node-loaders.ts";
import { createOnnxLanguageModel } from "../language-model/onnx-language-model.ts";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import { onceUponATimeIds, sharedDataDir, stories260kDir } from "../testing/assets.test-helpers.ts";
import type { ScoreBpeTokenizer } from "../tokenizers/score-bpe.ts";
import { type HfModelFolder, loadHfFolder } from "./load-folder.ts";
import { writeStories260kHfFolder } from "./stories260k-folder.test-helpers.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-hf-stories-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const texts = [
  "Once upon a time",
  "  Two leading spaces,\ttabs and\nnew lines.\n\n",
  "Lily saw a café, a naïve cat — and 日本 😀!",
  ...readFileSync(join(sharedDataDir, "reagent/wikitext.txt"), "utf8")
    .split("\n")
    .filter((line) => line.trim()),
];

// The real stories260K model converted to a Hugging Face folder, read back through the HF path and
// checked against llama2.c's own tokenizer (an independent implementation) and the README's output.
describe("stories260K as a Hugging Face folder", () => {
  let folder: HfModelFolder;
  let hf: TextTokenizer;
  let llama2c: ScoreBpeTokenizer;
  beforeAll(async () => {
    await writeStories260kHfFolder(join(root, "stories260K"));
    folder = await loadHfFolder(join(root, "stories260K"));
    hf = folder.tokenizer;
    llama2c = await loadLlama2cTokenizer(join(stories260kDir, "tok512.bin"));
  });

  it("maps the config: llama, grouped-query attention, tied output, half RoPE", () => {
    expect(folder.config).toMatchObject({
      architecture: "llama",
      hiddenSize: 64,
      intermediateSize: 172,
      numLayers: 5,
      numHeads: 8,
      numKeyValueHeads: 4,
      vocabSize: 512,
      tieWordEmbeddings: true,
      ropeStyle: "half",
    });
  });

  it("encodes every text to llama2.c's ids, with the same spans and texts", async () => {
    const prompt = await hf.encode("Once upon a time", { addSpecialTokens: true });
    expect(prompt.map((t) => t.id)).toEqual(onceUponATimeIds);
    for (const text of texts) {
      const reference = llama2c.encode(text, { addBos: true });
      const tokens = await hf.encode(text, { addSpecialTokens: true });
      expect(tokens.map((t) => t.id)).toEqual(reference.map((t) => t.id));
      expect(tokens.map((t) => t.span)).toEqual(reference.map((t) => t.span));
      expect(tokens.map((t) => t.text)).toEqual(reference.map((t) => t.text));
      expect(await hf.decode(tokens.map((t) => t.id!))).toBe(llama2c.decode(reference.map((t) => t.id!)));
    }
  });

  it("generates the README's greedy continuation", async () => {
    const model = createOnnxLanguageModel({
      id: "stories260K (Hugging Face folder)",
      weights: folder.weights,
      tokenizer: hf,
      runtime: createOnnxruntimeNodeRuntime(),
    });
    try {
      const result = await model.generate!(onceUponATimeIds, { maxNewTokens: 40 });
      expect(`Once upon a time${result.text}`).toBe(
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.",
      );
    } finally {
      await model.dispose?.();
    }
  });
});
