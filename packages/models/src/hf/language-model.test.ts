import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import { afterAll, describe, expect, it } from "vitest";
import { createOnnxLanguageModel } from "../language-model/onnx-language-model.ts";
import { loadHfFolder } from "./load-folder.ts";
import { writeRandomHfFolder } from "./write-random-folder.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-hf-model-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a random Hugging Face folder as a language model", () => {
  for (const architecture of ["llama", "qwen2"]) {
    it(`${architecture}: tokenize, forced generation and its text agree with the tokenizer`, async () => {
      const folder = join(root, architecture);
      await writeRandomHfFolder({
        architecture,
        layers: 2,
        hidden: 32,
        heads: 4,
        kvHeads: 2,
        vocab: 400,
        seed: 9,
        out: folder,
      });
      const { weights, tokenizer } = await loadHfFolder(folder);
      const model = createOnnxLanguageModel({
        id: folder,
        weights,
        tokenizer,
        runtime: createOnnxruntimeNodeRuntime(),
      });
      try {
        const prompt = await model.tokenize("The river runs", { addSpecialTokens: true });
        expect(
          prompt.tokens
            .filter((t) => !t.special)
            .map((t) => t.text)
            .join(""),
        ).toBe("The river runs");
        const forced = (await tokenizer.encode("The river runs past the mill", { addSpecialTokens: true }))
          .map((t) => t.id!)
          .slice(prompt.tokens.length);
        const promptIds = prompt.tokens.map((t) => t.id!);
        const generated = await model.generate!(promptIds, { forcedIds: forced });
        expect(generated.ids).toEqual(forced);
        expect(generated.text).toBe(" past the mill");
        const free = await model.generate!(promptIds, { maxNewTokens: 5 });
        expect(free.ids.length).toBe(5);
        expect(free.text).toBe((await tokenizer.decodeTokens(free.ids, promptIds)).text);
      } finally {
        await model.dispose?.();
      }
    });
  }
});
