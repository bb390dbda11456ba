import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readFileBytes } from "../read-file.ts";
import { ctranslate2Variable, ctranslate2VariableToFloat32, readCTranslate2Model } from "./read-model.ts";
import { writeCTranslate2Model } from "./write-model.test-helpers.ts";

const modelBin = join(
  fileURLToPath(new URL("../../../../../", import.meta.url)),
  "../shared/models/aren-transliteration/model.bin",
);

describe("readCTranslate2Model on aren-transliteration", () => {
  it("reads the header and the 200 variables with the README's shapes", async () => {
    const model = readCTranslate2Model(await readFileBytes(modelBin));
    expect(model).toMatchObject({ binaryVersion: 2, spec: "TransformerBase", revision: 2 });
    expect(model.variables.size).toBe(200);
    expect(model.aliases.size).toBe(0);
    const dims = (name: string) => model.variables.get(name)?.dims;
    expect(dims("encoder/embeddings/weight")).toEqual([51, 32]);
    expect(dims("decoder/embeddings/weight")).toEqual([43, 32]);
    expect(dims("decoder/projection/weight")).toEqual([43, 32]);
    expect(dims("decoder/projection/bias")).toEqual([43]);
    expect(dims("encoder/layer_5/self_attention/linear_0/weight")).toEqual([96, 32]);
    expect(dims("decoder/layer_5/attention/linear_1/weight")).toEqual([64, 32]);
    expect(dims("decoder/layer_0/ffn/linear_0/weight")).toEqual([128, 32]);
    expect(dims("decoder/layer_norm/gamma")).toEqual([32]);
    expect([...model.variables.values()].every((variable) => variable.dtype === "float32")).toBe(true);
    const encoderLayers = new Set(
      [...model.variables.keys()].flatMap((name) => /^encoder\/layer_(\d+)\//.exec(name)?.[1] ?? []),
    );
    expect(encoderLayers.size).toBe(6);
    const bias = ctranslate2VariableToFloat32(
      model.variables.get("decoder/projection/bias")!,
      "decoder/projection/bias",
    );
    expect(bias[0]).toBeCloseTo(-2.3551573753356934, 12);
  });
});

describe("readCTranslate2Model layouts", () => {
  const variables = [
    { name: "a", dims: [2, 2], values: [1, 2, 3, 4] },
    { name: "scalar", dims: [], dtype: "int8" as const, bytes: Int8Array.of(-3) as unknown as Uint8Array },
  ];
  for (const binaryVersion of [2, 3, 4, 5, 6]) {
    it(`reads binary version ${binaryVersion}`, () => {
      const bytes = writeCTranslate2Model({ binaryVersion, spec: "TransformerSpec", revision: 7, variables });
      const model = readCTranslate2Model(bytes);
      expect(model).toMatchObject({ binaryVersion, spec: "TransformerSpec", revision: 7 });
      expect([...ctranslate2VariableToFloat32(model.variables.get("a")!, "a")]).toEqual([1, 2, 3, 4]);
      expect(model.variables.get("scalar")).toMatchObject({ dtype: "int8", dims: [] });
    });
  }

  it("reads aliases (version ≥ 3) and follows them", () => {
    const model = readCTranslate2Model(
      writeCTranslate2Model({ binaryVersion: 6, variables, aliases: [["b", "a"]] }),
    );
    expect([...model.aliases]).toEqual([["b", "a"]]);
    expect(ctranslate2Variable(model, "b")).toBe(model.variables.get("a"));
  });

  it("widens float16 and bfloat16, refuses integers for weights", () => {
    const model = readCTranslate2Model(
      writeCTranslate2Model({
        binaryVersion: 6,
        variables: [
          {
            name: "h",
            dims: [2],
            dtype: "float16",
            bytes: new Uint8Array(Uint16Array.of(0x3c00, 0xc000).buffer),
          },
          { name: "b", dims: [1], dtype: "bfloat16", bytes: new Uint8Array(Uint16Array.of(0x3f80).buffer) },
          { name: "q", dims: [2], dtype: "int8", bytes: Uint8Array.of(1, 2) },
        ],
      }),
    );
    expect([...ctranslate2VariableToFloat32(model.variables.get("h")!, "h")]).toEqual([1, -2]);
    expect([...ctranslate2VariableToFloat32(model.variables.get("b")!, "b")]).toEqual([1]);
    expect(() => ctranslate2VariableToFloat32(model.variables.get("q")!, "q")).toThrow(
      expect.objectContaining({ code: "MODEL_LOAD_FAILED", message: expect.stringContaining("int8") }),
    );
  });
});
