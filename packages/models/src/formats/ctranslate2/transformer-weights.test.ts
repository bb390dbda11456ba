import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { readFileBytes } from "../read-file.ts";
import { loadCTranslate2TransformerFolder } from "./load-folder.ts";
import { type CTranslate2Model, readCTranslate2Model } from "./read-model.ts";
import { ctranslate2TransformerWeights } from "./transformer-weights.ts";

const arenDir = join(
  fileURLToPath(new URL("../../../../../", import.meta.url)),
  "../shared/models/aren-transliteration",
);

let model: CTranslate2Model;
beforeAll(async () => {
  model = readCTranslate2Model(await readFileBytes(join(arenDir, "model.bin")));
});

const changed = (change: (copy: CTranslate2Model) => void): CTranslate2Model => {
  const copy = { ...model, variables: new Map(model.variables), aliases: new Map(model.aliases) };
  change(copy);
  return copy;
};

describe("ctranslate2TransformerWeights", () => {
  it("derives the README's config and converts all 200 tensors", () => {
    const weights = ctranslate2TransformerWeights(model);
    expect(weights.config).toEqual({
      architecture: "transformer",
      sourceVocabSize: 51,
      targetVocabSize: 43,
      hiddenSize: 32,
      numHeads: 8,
      headDim: 4,
      ffnSize: 128,
      encoderLayers: 6,
      decoderLayers: 6,
      activation: "relu",
      layerNormEps: 1e-5,
      embeddingScale: Math.sqrt(32),
      positionOffset: 1,
    });
    expect(weights.tensors.size).toBe(200);
    expect(weights.tensors.get("decoder/layer_3/attention/linear_1/weight")?.data).toHaveLength(64 * 32);
  });

  it("takes TransformerBig's 16 heads from the spec name", () => {
    expect(
      ctranslate2TransformerWeights(changed((copy) => (copy.spec = "TransformerBig"))).config.numHeads,
    ).toBe(16);
  });

  it("refuses other specs, revisions and extra variables with UNSUPPORTED_ARCHITECTURE", () => {
    const refusals = [
      changed((copy) => (copy.spec = "TransformerSpec")),
      changed((copy) => (copy.revision = 1)),
      changed((copy) =>
        copy.variables.set("encoder/position_encodings/encodings", {
          dtype: "float32",
          dims: [1],
          bytes: new Uint8Array(4),
        }),
      ),
    ];
    for (const refused of refusals) {
      expect(() => ctranslate2TransformerWeights(refused, { source: "m.bin" })).toThrow(
        expect.objectContaining({
          code: "UNSUPPORTED_ARCHITECTURE",
          message: expect.stringMatching(/^m\.bin: /),
        }),
      );
    }
  });

  it("refuses missing, misshapen and integer tensors and layer gaps with MODEL_LOAD_FAILED", () => {
    const damaged = [
      changed((copy) => copy.variables.delete("decoder/layer_2/ffn/linear_1/bias")),
      changed((copy) =>
        copy.variables.set("decoder/projection/bias", {
          dtype: "float32",
          dims: [42],
          bytes: new Uint8Array(168),
        }),
      ),
      changed((copy) =>
        copy.variables.set("decoder/projection/bias", {
          dtype: "int8",
          dims: [43],
          bytes: new Uint8Array(43),
        }),
      ),
      changed((copy) => {
        for (const name of [...copy.variables.keys()])
          if (name.startsWith("encoder/layer_2/")) copy.variables.delete(name);
      }),
    ];
    for (const bad of damaged) {
      expect(() => ctranslate2TransformerWeights(bad)).toThrow(
        expect.objectContaining({ code: "MODEL_LOAD_FAILED" }),
      );
    }
  });
});

describe("loadCTranslate2TransformerFolder", () => {
  it("reads the folder with both vocabularies and the <s> / </s> ids", async () => {
    const folder = await loadCTranslate2TransformerFolder(arenDir);
    expect(folder.sourceVocabulary.tokens).toHaveLength(51);
    expect(folder.targetVocabulary.tokens).toHaveLength(43);
    expect(folder.targetVocabulary.tokens.at(-1)).toBe("<unk>");
    expect(folder.weights.config).toMatchObject({ decoderStartTokenId: 1, eosTokenId: 2 });
  });

  it("refuses vocabularies that do not fit the embeddings, and a folder without them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ct2-"));
    try {
      await cp(join(arenDir, "model.bin"), join(dir, "model.bin"));
      await expect(loadCTranslate2TransformerFolder(dir)).rejects.toMatchObject({
        code: "MODEL_LOAD_FAILED",
      });
      await cp(join(arenDir, "source_vocabulary.txt"), join(dir, "source_vocabulary.txt"));
      await writeFile(join(dir, "target_vocabulary.txt"), "<s>\n</s>\n");
      await expect(loadCTranslate2TransformerFolder(dir)).rejects.toMatchObject({
        code: "MODEL_LOAD_FAILED",
        message: expect.stringContaining("the target vocabulary has 3 tokens"),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
