import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forcedFirstToken, type LanguageModel } from "@tokenscope/core";
import { afterAll, describe, expect, it } from "vitest";
import type { BartConfig } from "../graphs/encoder-decoder/bart-config.ts";
import { referenceBartLogits } from "../graphs/encoder-decoder/bart-reference.test-helpers.ts";
import type { T5Config } from "../graphs/encoder-decoder/t5-config.ts";
import { referenceT5Logits } from "../graphs/encoder-decoder/t5-reference.test-helpers.ts";
import { loadDecoderWeights, loadModel } from "../load-model.ts";
import type { WeightTensor } from "../weights/types.ts";
import {
  type RandomEncoderDecoderArchitecture,
  randomMbartLanguageCodes,
  writeRandomEncoderDecoderFolder,
} from "./write-random-encoder-decoder-folder.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-hf-encdec-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Loaded {
  model: LanguageModel;
  config: BartConfig | T5Config;
  weights: Map<string, WeightTensor>;
}

const architectures: RandomEncoderDecoderArchitecture[] = ["bart", "mbart", "marian", "t5"];
const loaded = new Map<RandomEncoderDecoderArchitecture, Promise<Loaded>>();

/** A random folder of `architecture`, written once and loaded through `loadModel`. */
function load(architecture: RandomEncoderDecoderArchitecture): Promise<Loaded> {
  let entry = loaded.get(architecture);
  if (!entry) {
    entry = (async () => {
      const out = join(root, architecture);
      const written = await writeRandomEncoderDecoderFolder({
        architecture,
        layers: 2,
        hidden: 32,
        heads: 4,
        vocab: architecture === "t5" ? 300 : 400,
        seed: 7,
        out,
      });
      const model = await loadModel(out, { threads: 1 });
      return { model, config: written.config, weights: written.weights };
    })();
    loaded.set(architecture, entry);
  }
  return entry;
}
afterAll(async () => {
  for (const entry of loaded.values()) await (await entry.catch(() => undefined))?.model.dispose?.();
});

/** The float64 reference's logits of every target token given the source (teacher forcing). */
function referenceLogits(
  { config, weights }: Loaded,
  source: readonly number[],
  decoderInputs: readonly number[],
): Float64Array[] {
  return config.architecture === "t5"
    ? referenceT5Logits(config, weights, source, decoderInputs)
    : referenceBartLogits(config, weights, source, decoderInputs);
}

const argmax = (row: ArrayLike<number>) => {
  let best = 0;
  for (let index = 1; index < row.length; index++) if (row[index]! > row[best]!) best = index;
  return best;
};

describe.each(architectures)("a random %s folder through loadModel", (architecture) => {
  it("is an encoder-decoder with the folder's sizes and special tokens", async () => {
    const { model, config } = await load(architecture);
    expect(model.info).toMatchObject({
      architecture,
      encoderDecoder: true,
      vocabSize: config.vocabSize,
      sourceVocabSize: config.vocabSize,
      hiddenSize: 32,
      numLayers: 2,
      encoderLayers: 2,
      numHeads: 4,
      specialTokens: { bos: config.decoderStartTokenId, eos: [config.eosTokenId], pad: config.padTokenId },
    });
    expect(model.capabilities.has("gradients")).toBe(true);
    expect(model.capabilities.has("interventions.valueZeroing")).toBe(true);
  });

  it("tokenizes a source with the family's end token and spans into the text", async () => {
    const { model, config } = await load(architecture);
    const text = "the river runs past the mill";
    const { tokens } = await model.tokenize(text);
    expect(tokens.at(-1)).toMatchObject({ id: config.eosTokenId, special: true, span: null });
    for (const token of tokens) {
      expect(token.id).toBeLessThan(config.vocabSize);
      if (token.span) expect(text.slice(...token.span)).toBe(token.text);
    }
    // Every character of the text is covered by the ordinary tokens, in order.
    expect(
      tokens
        .filter((token) => !token.special)
        .map((token) => token.text)
        .join("")
        .trim(),
    ).toBe(text);
    const target = await model.tokenize("the mill", { continuation: true });
    expect(target.tokens.every((token) => !token.special)).toBe(true);
    expect(await model.detokenize(target.tokens.map((token) => token.id!))).toBe("the mill");
  });

  it("gives the float64 reference's logits (float32, 1e-4) for [source | target] rows", async () => {
    const loadedModel = await load(architecture);
    const { model, config } = loadedModel;
    const source = (await model.tokenize("the market opens")).tokens.map((token) => token.id!);
    const target = (await model.tokenize("people say", { continuation: true })).tokens.map(
      (token) => token.id!,
    );
    const { logits } = await model.forward!({
      inputs: { ids: [[...source, ...target]], sourceLengths: [source.length] },
    });
    const data = logits.data as Float32Array;
    const vocab = config.vocabSize;
    const reference = referenceLogits(loadedModel, source, [
      config.decoderStartTokenId,
      ...target.slice(0, -1),
    ]);
    let diff = 0;
    let largest = 0;
    target.forEach((_, t) => {
      // Without `positions`, an encoder-decoder returns the logits of the target positions only.
      const row = data.subarray(t * vocab, (t + 1) * vocab);
      reference[t]!.forEach((value, v) => {
        diff = Math.max(diff, Math.abs(row[v]! - value));
        largest = Math.max(largest, Math.abs(value));
      });
    });
    expect(diff).toBeLessThan(1e-4);
    expect(largest).toBeGreaterThan(0.1);
  });

  it("generates greedily through the KV cache what the reference's argmax gives", async () => {
    const loadedModel = await load(architecture);
    const { model, config } = loadedModel;
    const source = (await model.tokenize("in the spring")).tokens.map((token) => token.id!);
    const generated = await model.generate!(source, { maxNewTokens: 5, stopTokenIds: [] });
    expect(generated.ids).toHaveLength(5);
    const decoderInputs = [config.decoderStartTokenId, ...generated.ids.slice(0, -1)];
    const reference = referenceLogits(loadedModel, source, decoderInputs);
    const suppressed = new Set(model.info.architecture === "marian" ? [config.padTokenId] : []);
    const expected = reference.map((row) => {
      const allowed = Float64Array.from(row, (value, id) => (suppressed.has(id) ? -Infinity : value));
      return argmax(allowed);
    });
    expect(generated.ids).toEqual(expected);
  });
});

describe("Hugging Face encoder-decoder specifics", () => {
  it("mBART-50: language codes come from the tokenizer, and targetLanguage picks one to force first", async () => {
    const { model } = await load("mbart");
    const codes = model.info.languageCodes!;
    expect(Object.keys(codes).sort()).toEqual([...randomMbartLanguageCodes].sort());
    for (const [code, id] of Object.entries(codes)) {
      const { tokens } = await model.tokenize(code, { addSpecialTokens: false });
      expect(tokens.map((token) => token.id)).toEqual([id]);
    }
    const first = forcedFirstToken(model, { targetLanguage: "fr" })!;
    expect(first).toBe(codes["fr_XX"]);
    const source = (await model.tokenize("the river")).tokens.map((token) => token.id!);
    const generated = await model.generate!(source, { maxNewTokens: 3, prefixIds: [first] });
    expect(generated.ids[0]).toBe(first);
    // mBART-50 sources start with their language code (the tokenizer's post-processor).
    expect(source[0]).toBe(codes["en_XX"]);
  });

  it("the config's forced BOS is the model's default, and Marian never generates its pad token", async () => {
    const bart = await load("bart");
    expect(bart.model.info.forcedBosTokenId).toBe((bart.config as BartConfig).forcedBosTokenId);
    expect(bart.model.info.forcedBosTokenId).toBeDefined();
    const marian = await load("marian");
    expect(marian.model.info.forcedBosTokenId).toBeUndefined();
    const source = (await marian.model.tokenize("the market opens")).tokens.map((token) => token.id!);
    const generated = await marian.model.generate!(source, { maxNewTokens: 8, stopTokenIds: [] });
    expect(generated.ids).not.toContain(marian.config.padTokenId);
  });

  it("loadDecoderWeights refuses an encoder-decoder folder, naming loadModel", async () => {
    await load("t5");
    await expect(loadDecoderWeights(join(root, "t5"))).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringContaining("encoder-decoder"),
    });
  });

  it("a weight the config does not imply is refused by name", async () => {
    const out = join(root, "t5-broken");
    await writeRandomEncoderDecoderFolder({
      architecture: "t5",
      layers: 1,
      hidden: 16,
      heads: 2,
      vocab: 300,
      seed: 1,
      out,
    });
    const config = JSON.parse(
      await import("node:fs/promises").then((fs) => fs.readFile(join(out, "config.json"), "utf8")),
    );
    writeFileSync(join(out, "config.json"), JSON.stringify({ ...config, num_layers: 2 }));
    await expect(loadModel(out)).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringContaining("missing"),
    });
  });
});
