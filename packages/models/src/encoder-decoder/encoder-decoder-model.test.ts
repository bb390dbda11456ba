import {
  type AttributionMethod,
  attribute,
  type ForwardRequest,
  type LanguageModel,
  methodRegistry,
  registerCoreBuiltins,
  registerMethod,
} from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { loadDecoderWeights, loadModel } from "../load-model.ts";
import { arenTransliterationDir } from "../testing/assets.test-helpers.ts";

let model: LanguageModel;
/** A method that needs layer gradients, which this model does not offer yet. */
const gradientMethod: AttributionMethod<Record<string, never>> = {
  id: "test_encoder_decoder_gradients",
  family: "test",
  summary: "test",
  description: "test",
  requires: ["gradients.layer"],
  supports: { targetPrefix: false, contrastive: false, batching: true },
  parameters: z.strictObject({}),
  run: async () => {
    throw new Error("never run");
  },
};

beforeAll(async () => {
  model = await loadModel(arenTransliterationDir);
  registerCoreBuiltins();
  registerMethod(gradientMethod);
});
afterAll(async () => {
  methodRegistry.unregister(gradientMethod.id);
  await model.dispose?.();
});

describe("aren-transliteration through loadModel", () => {
  it("is an encoder-decoder that declares tokenize, forward, generate, embed, gradients, taps and value zeroing", () => {
    expect(model.info).toMatchObject({
      architecture: "transformer",
      encoderDecoder: true,
      vocabSize: 43,
      hiddenSize: 32,
      numLayers: 6,
      encoderLayers: 6,
      sourceVocabSize: 51,
      numHeads: 8,
      specialTokens: { bos: 1, eos: [2], pad: 0, unk: 50 },
    });
    expect([...model.capabilities].sort()).toEqual([
      "embed",
      "forward",
      "generate",
      "gradients",
      "interventions.valueZeroing",
      "taps.attention",
      "taps.mlp",
      "taps.residual",
      "taps.values",
      "tokenize",
    ]);
    expect(model.info.execution?.runtime).toBeDefined();
  });

  it("greedy-generates the README's five names", async () => {
    const cases: Array<[string, string]> = [
      ["آتزمون", "atzmon"],
      ["آتشيسون", "achison"],
      ["آزا", "azza"],
      ["أحمد", "ahmad"],
      ["جون", "jon"],
    ];
    for (const [arabic, latin] of cases) {
      const { tokens } = await model.tokenize(arabic);
      const generated = await model.generate!(tokens.map((token) => token.id!));
      expect(generated.text).toBe(latin);
      // The end token is the last id, as causal models keep their EOS, and takes no characters.
      expect(generated.ids).toHaveLength(latin.length + 1);
      expect(generated.ids.at(-1)).toBe(2);
    }
  });

  it("stops at maxNewTokens, forces ids and samples reproducibly", async () => {
    const ids = (await model.tokenize("آتشيسون")).tokens.map((token) => token.id!);
    expect((await model.generate!(ids, { maxNewTokens: 3 })).text).toBe("ach");
    const forcedA = (await model.tokenize("at", { continuation: true })).tokens.map((token) => token.id!);
    const prefixed = await model.generate!(ids, { prefixIds: forcedA });
    expect(prefixed.text.startsWith("at")).toBe(true);
    const sampling = { temperature: 1, topK: 5, seed: 3, maxNewTokens: 10 };
    const first = await model.generate!(ids, sampling);
    expect((await model.generate!(ids, sampling)).ids).toEqual(first.ids);
    const progress: number[] = [];
    await model.generate!(ids, { maxNewTokens: 2, onProgress: (event) => progress.push(event.completed) });
    expect(progress).toEqual([1, 2]);
    const controller = new AbortController();
    controller.abort();
    await expect(model.generate!(ids, { signal: controller.signal })).rejects.toMatchObject({
      code: "ABORTED",
    });
  });

  it("stops when its signal aborts between steps", async () => {
    const ids = (await model.tokenize("آتشيسون")).tokens.map((token) => token.id!);
    const controller = new AbortController();
    const completed: number[] = [];
    const generation = model.generate!(ids, {
      signal: controller.signal,
      onProgress: (event) => {
        completed.push(event.completed);
        if (event.completed === 2) controller.abort();
      },
    });
    await expect(generation).rejects.toMatchObject({ code: "ABORTED" });
    expect(completed).toEqual([1, 2]);
    // The model still generates afterwards: the aborted generation's cache was its own.
    expect((await model.generate!(ids)).text).toBe("achison");
  });

  it("tokenizes the source one character per token with spans, <unk> for unknown characters", async () => {
    const { text, tokens } = await model.tokenize("جون");
    expect(text).toBe("جون");
    expect(tokens.map((token) => [token.text, token.span, token.special])).toEqual([
      ["ج", [0, 1], false],
      ["و", [1, 2], false],
      ["ن", [2, 3], false],
    ]);
    expect(tokens.every((token) => token.id !== null && token.id < 50)).toBe(true);
    // A character outside the source vocabulary, and one outside the BMP (two UTF-16 units).
    const unknown = await model.tokenize("ج😀x");
    expect(unknown.tokens.map((token) => [token.id, token.text, token.span])).toEqual([
      [tokens[0]!.id, "ج", [0, 1]],
      [50, "😀", [1, 3]],
      [50, "x", [3, 4]],
    ]);
  });

  it("decodes target ids without the special tokens", async () => {
    const ids = (await model.tokenize("ahmad", { continuation: true })).tokens.map((token) => token.id!);
    const decoded = await model.decodeTokens([1, ...ids, 2]);
    expect(decoded.text).toBe("ahmad");
    expect(decoded.tokens[0]).toMatchObject({ id: 1, special: true, span: null, piece: "<s>" });
    expect(decoded.tokens[1]).toMatchObject({ text: "a", span: [0, 1], special: false });
    expect(decoded.tokens.at(-1)).toMatchObject({ id: 2, special: true, span: null, piece: "</s>" });
    expect(await model.detokenize([1, ...ids, 2])).toBe("ahmad");
    await expect(model.decodeTokens([43])).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("refuses source ids outside the source vocabulary and an empty source", async () => {
    await expect(model.generate!([51])).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(model.generate!([])).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("makes attribute() refuse a method that needs layer gradients with MISSING_CAPABILITY, saying why", async () => {
    await expect(attribute(model, "جون", { method: gradientMethod.id })).rejects.toMatchObject({
      code: "MISSING_CAPABILITY",
      message: expect.stringContaining("residual stream"),
    });
  });

  const readme = [-0.106023, -0.06541, -0.056003, -0.447953, -0.230714, -0.092184, -0.063464];
  const logSoftmaxAt = (row: ArrayLike<number>, id: number) => {
    const values = Array.from(row);
    const max = Math.max(...values);
    return values[id]! - (max + Math.log(values.reduce((sum, x) => sum + Math.exp(x - max), 0)));
  };

  it("forward: rows [source | target] with sourceLengths score 'atzmon' as the README", async () => {
    const source = (await model.tokenize("آتزمون")).tokens.map((token) => token.id!);
    const target = (await model.tokenize("atzmon", { continuation: true })).tokens.map((token) => token.id!);
    const ids = [...source, ...target, 2];
    const positions = Array.from({ length: 7 }, (_, t) => source.length - 1 + t);
    const { logits } = await model.forward!({
      inputs: { ids: [ids], sourceLengths: [source.length] },
      positions: [positions],
    });
    const vocab = logits.dims[2]!;
    const scores = positions.map((_, t) =>
      logSoftmaxAt(logits.data.subarray(t * vocab, (t + 1) * vocab), ids[source.length + t]!),
    );
    for (const [t, score] of scores.entries()) expect(score).toBeCloseTo(readme[t]!, 5);
    // A batch of rows with different source lengths (a removed character), right-padded, equals each alone.
    const shorter = [...source.slice(1), ...target];
    const batch = await model.forward!({
      inputs: {
        ids: [
          [...source, ...target],
          [...shorter, 0],
        ],
        attentionMask: [ids.slice(0, -1).map(() => 1), [...shorter.map(() => 1), 0]],
        sourceLengths: [source.length, source.length - 1],
      },
      positions: [[source.length + 2], [source.length + 1]],
    });
    const alone = await model.forward!({
      inputs: { ids: [shorter], sourceLengths: [source.length - 1] },
      positions: [[source.length + 1]],
    });
    const second = batch.logits.data.subarray(vocab, 2 * vocab);
    for (let v = 0; v < vocab; v++) expect(second[v]).toBeCloseTo(alone.logits.data[v]!, 5);
  });

  it("forward refuses rows without sourceLengths, positions inside the source, and bad taps and zeroings", async () => {
    const ids = [[3, 4, 5, 6]];
    await expect(model.forward!({ inputs: { ids }, positions: [[3]] })).rejects.toMatchObject({
      code: "INVALID_INPUT",
      message: expect.stringContaining("sourceLengths"),
    });
    await expect(
      model.forward!({ inputs: { ids, sourceLengths: [3] }, positions: [[0]] }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("has no logits") });
    await expect(
      model.forward!({ inputs: { ids, sourceLengths: [9] }, positions: [[2]] }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("sourceLength 9") });
    const request = { inputs: { ids, sourceLengths: [3] }, positions: [[2]] };
    for (const [change, text] of [
      [{ taps: { attention: true, stack: "middle" as "cross" } }, "stack must be"],
      [
        { taps: { residual: true, stack: "cross" as const } },
        "cross-attention has attention and values only",
      ],
      [{ taps: { attention: true, layers: [6] } }, "layer 6"],
      [
        {
          interventions: [
            { kind: "zeroValues" as const, layer: 0, positions: [3], stack: "encoder" as const },
          ],
        },
        "source positions [0, 3)",
      ],
      [
        { interventions: [{ kind: "zeroValues" as const, layer: 0, positions: [2] }] },
        "decoder positions [0, 2)",
      ],
      [{ interventions: [{ kind: "zeroValues" as const, layer: 0, heads: [8], positions: [0] }] }, "head 8"],
      [{ taps: { attention: true, layers: 3 as unknown as number[] } }, "list of layer indices"],
      [
        { interventions: [{ kind: "zeroValues" as const, layer: 0, positions: 1 as unknown as number[] }] },
        "must be lists",
      ],
    ] as Array<[Partial<ForwardRequest>, string]>) {
      await expect(model.forward!({ ...request, ...change }), text).rejects.toMatchObject({
        code: "INVALID_INPUT",
        message: expect.stringContaining(text),
      });
    }
  });

  it("taps every kind of attention in its own positions, rows summing to 1, and the residual streams", async () => {
    const source = (await model.tokenize("آتزمون")).tokens.map((token) => token.id!);
    const target = (await model.tokenize("atz", { continuation: true })).tokens.map((token) => token.id!);
    const ids = [...source, ...target];
    const request = { inputs: { ids: [ids], sourceLengths: [source.length] } };
    const shapes = { encoder: [1, 8, 6, 6], decoder: [1, 8, 4, 4], cross: [1, 8, 4, 6] } as const;
    for (const [stack, dims] of Object.entries(shapes) as Array<[keyof typeof shapes, readonly number[]]>) {
      const { taps } = await model.forward!({ ...request, taps: { attention: true, values: true, stack } });
      expect(taps!.attention, stack).toHaveLength(6);
      for (const probs of taps!.attention!) {
        expect(probs.dims, stack).toEqual(dims);
        const keys = dims[3]!;
        for (let row = 0; row < probs.data.length / keys; row++) {
          const weights = Array.from(probs.data.subarray(row * keys, (row + 1) * keys));
          expect(
            weights.reduce((a, b) => a + b, 0),
            stack,
          ).toBeCloseTo(1, 5);
          // Decoder self-attention is causal: query j sees keys 0..j only.
          if (stack === "decoder") {
            const query = row % keys;
            for (let key = query + 1; key < keys; key++) expect(weights[key]).toBe(0);
          }
        }
      }
      expect(taps!.values![0]!.dims, stack).toEqual([1, 8, stack === "decoder" ? 4 : 6, 4]);
    }
    const residual = await model.forward!({
      ...request,
      taps: { residual: true, mlp: true, stack: "encoder", layers: [5] },
    });
    expect(residual.taps!.residual!.map((tensor) => tensor.dims)).toEqual([[1, 6, 32]]);
    expect(residual.taps!.mlp!.map((tensor) => tensor.dims)).toEqual([[1, 6, 128]]);
    // Logits are unchanged by tapping.
    const plain = await model.forward!(request);
    expect(Array.from(residual.logits.data)).toEqual(Array.from(plain.logits.data));
  });

  it("zeroes values per part: each selection changes the logits differently, zeroing nothing changes nothing", async () => {
    const source = (await model.tokenize("آتزمون")).tokens.map((token) => token.id!);
    const target = (await model.tokenize("atz", { continuation: true })).tokens.map((token) => token.id!);
    const request = { inputs: { ids: [[...source, ...target]], sourceLengths: [source.length] } };
    const plain = (await model.forward!(request)).logits.data;
    const zeroed = async (stack: "encoder" | "decoder" | "cross") =>
      (
        await model.forward!({
          ...request,
          interventions: [{ kind: "zeroValues", layer: 2, positions: [1], stack }],
        })
      ).logits.data;
    const results = await Promise.all((["encoder", "decoder", "cross"] as const).map(zeroed));
    const distance = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)));
    for (const result of results) expect(distance(result, plain)).toBeGreaterThan(1e-4);
    expect(distance(results[0]!, results[1]!)).toBeGreaterThan(1e-4);
    expect(distance(results[1]!, results[2]!)).toBeGreaterThan(1e-4);
    expect(distance(results[0]!, results[2]!)).toBeGreaterThan(1e-4);
    // Zeroing decoder position 3 (the last input) cannot change the earlier positions' logits.
    const last = (
      await model.forward!({ ...request, interventions: [{ kind: "zeroValues", layer: 0, positions: [3] }] })
    ).logits.data;
    expect(distance(last.subarray(0, 3 * 43), plain.subarray(0, 3 * 43))).toBeLessThan(1e-6);
    // Zeroing nothing (no positions) gives the plain logits.
    const none = (
      await model.forward!({
        ...request,
        interventions: [{ kind: "zeroValues", layer: 0, positions: [], stack: "cross" }],
      })
    ).logits.data;
    expect(distance(none, plain)).toBeLessThan(1e-6);
  });

  it("is no causal LM for loadDecoderWeights", async () => {
    await expect(loadDecoderWeights(arenTransliterationDir)).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringContaining("CTranslate2 encoder-decoder"),
    });
  });
});
