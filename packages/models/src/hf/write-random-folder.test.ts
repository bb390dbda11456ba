import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError } from "@tokenscope/core";
import { afterAll, describe, expect, it } from "vitest";
import { buildDecoderGraph } from "../graphs/build-decoder-graph.ts";
import { sharedDataDir } from "../testing/assets.test-helpers.ts";
import { randomWeights } from "../testing/random-weights.ts";
import { supportedHfModelTypes } from "./config.ts";
import { loadHfFolder } from "./load-folder.ts";
import { type RandomHfFolderOptions, writeRandomHfFolder } from "./write-random-folder.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-hf-random-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const wikitextLines = readFileSync(join(sharedDataDir, "reagent/wikitext.txt"), "utf8")
  .split("\n")
  .filter((line) => line.trim().length > 0);

async function errorOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    return isTokenscopeError(error) ? `${error.code}: ${error.message}` : `other: ${error}`;
  }
  return "no error";
}

describe("writeRandomHfFolder", () => {
  for (const architecture of supportedHfModelTypes) {
    it(`${architecture}: a folder whose config, weights and tokenizer load back`, async () => {
      const grouped = !["gpt2", "gpt_neox", "opt"].includes(architecture);
      const options: RandomHfFolderOptions = {
        architecture,
        layers: 2,
        hidden: 32,
        heads: 4,
        kvHeads: grouped ? 2 : 4,
        vocab: 320,
        seed: 7,
        out: join(root, architecture),
      };
      const written = await writeRandomHfFolder(options);
      const config = JSON.parse(readFileSync(join(written.folder, "config.json"), "utf8"));
      expect(config.model_type).toBe(architecture);
      const loaded = await loadHfFolder(written.folder);
      expect(loaded.config).toMatchObject(written.config);
      expect(loaded.config).toMatchObject({ numLayers: 2, hiddenSize: 32, numHeads: 4, vocabSize: 320 });
      expect(loaded.config.numKeyValueHeads).toBe(grouped ? 2 : 4);
      // The weights are randomWeights' for the seed, bit for bit, under the names the graphs read.
      const expected = randomWeights(architecture, written.config, 7);
      expect([...loaded.weights.tensors.keys()].sort()).toEqual([...expected.tensors.keys()].sort());
      for (const [name, tensor] of expected.tensors)
        expect(loaded.weights.tensors.get(name)!.data).toEqual(tensor.data);
      expect(buildDecoderGraph(loaded.weights).model.graph).toBeDefined();

      const tokenizer = loaded.tokenizer;
      expect(tokenizer.vocabSize).toBe(320);
      expect(tokenizer.specialTokens).toEqual({ bos: 1, eos: [2], pad: 3, unk: 0 });
      for (const line of wikitextLines) {
        const tokens = await tokenizer.encode(line, { addSpecialTokens: true });
        const ordinary = tokens.filter((token) => !token.special);
        // Round trip, and spans that tile the line: each slices the text to the token's text.
        expect(await tokenizer.decode(tokens.map((token) => token.id!))).toBe(line);
        expect(ordinary.map((token) => token.text).join("")).toBe(line);
        let end = 0;
        for (const token of ordinary) {
          expect(token.span![0]).toBe(end);
          expect(line.slice(token.span![0], token.span![1])).toBe(token.text);
          end = token.span![1];
        }
        expect(end).toBe(line.length);
      }
      const first = await tokenizer.encode("The river", { addSpecialTokens: true });
      expect(first[0]!.id === 1).toBe(grouped && architecture !== "qwen2" && architecture !== "qwen3");
    });
  }

  it("is deterministic: the same seed writes the same bytes, another seed other weights", async () => {
    const options = { architecture: "gpt_neox", layers: 1, hidden: 16, heads: 2, vocab: 300 };
    const a = await writeRandomHfFolder({ ...options, seed: 3, out: join(root, "seed-a") });
    const b = await writeRandomHfFolder({ ...options, seed: 3, out: join(root, "seed-b") });
    const c = await writeRandomHfFolder({ ...options, seed: 4, out: join(root, "seed-c") });
    for (const name of a.files) {
      expect(readFileSync(join(a.folder, name)).equals(readFileSync(join(b.folder, name)))).toBe(true);
    }
    expect(
      readFileSync(join(a.folder, "model.safetensors")).equals(
        readFileSync(join(c.folder, "model.safetensors")),
      ),
    ).toBe(false);
    expect(
      readFileSync(join(a.folder, "tokenizer.json")).equals(readFileSync(join(c.folder, "tokenizer.json"))),
    ).toBe(true);
  });

  it("refuses a non-empty folder without force, leaving it byte for byte; with force replaces it whole", async () => {
    const parent = join(root, "replace");
    const out = join(parent, "model");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "model.safetensors"), "someone's weights");
    writeFileSync(join(out, "README.md"), "keep me");
    const options = { architecture: "llama", layers: 1, hidden: 16, heads: 2, vocab: 300, seed: 1, out };
    const refused = await errorOf(() => writeRandomHfFolder(options));
    expect(refused).toContain("IO_ERROR: Could not write the folder");
    expect(refused).toContain("--force");
    expect(readFileSync(join(out, "model.safetensors"), "utf8")).toBe("someone's weights");
    expect(readdirSync(parent)).toEqual(["model"]);
    // A file no model folder holds: not replaced, even with force.
    writeFileSync(join(out, "notes.txt"), "keep me");
    const foreign = await errorOf(() => writeRandomHfFolder({ ...options, force: true }));
    expect(foreign).toContain("it holds notes.txt, so it is not a model folder");
    expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe("keep me");
    rmSync(join(out, "notes.txt"));
    const written = await writeRandomHfFolder({ ...options, force: true });
    expect(readdirSync(out).sort()).toEqual([...written.files].sort());
    expect(readdirSync(parent)).toEqual(["model"]);
    expect((await loadHfFolder(out)).config.numLayers).toBe(1);
  });

  it("an abort (Ctrl-C) leaves no folder and no temporary sibling", async () => {
    const parent = join(root, "aborted");
    mkdirSync(parent);
    const controller = new AbortController();
    const writing = writeRandomHfFolder({
      architecture: "llama",
      layers: 2,
      hidden: 64,
      heads: 4,
      vocab: 300,
      seed: 1,
      out: join(parent, "model"),
      signal: controller.signal,
    });
    controller.abort();
    expect(await errorOf(() => writing)).toContain("ABORTED");
    expect(readdirSync(parent)).toEqual([]);
  });

  it("refuses sizes that make no model, naming the flag", async () => {
    const options = {
      architecture: "llama",
      layers: 1,
      hidden: 16,
      heads: 2,
      vocab: 300,
      seed: 1,
      out: join(root, "bad"),
    };
    expect(await errorOf(() => writeRandomHfFolder({ ...options, architecture: "bert" }))).toContain(
      "UNSUPPORTED_ARCHITECTURE",
    );
    expect(await errorOf(() => writeRandomHfFolder({ ...options, vocab: 100 }))).toContain(
      "at least 263 ids",
    );
    expect(await errorOf(() => writeRandomHfFolder({ ...options, heads: 3 }))).toContain("head size");
    expect(await errorOf(() => writeRandomHfFolder({ ...options, kvHeads: 3 }))).toContain("cannot share");
    expect(await errorOf(() => writeRandomHfFolder({ ...options, layers: 0 }))).toContain("--layers");
    expect(
      await errorOf(() => writeRandomHfFolder({ ...options, architecture: "gpt2", kvHeads: 1 })),
    ).toContain("no grouped-query attention");
  });
});
