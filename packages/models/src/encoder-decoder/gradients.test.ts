import {
  type DenseTensor,
  type GradientRequest,
  getStepFunction,
  type LanguageModel,
  registerCoreBuiltins,
} from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CTranslate2TransformerFolder,
  loadCTranslate2TransformerFolder,
} from "../formats/ctranslate2/load-folder.ts";
import { buildTransformerGraph } from "../graphs/encoder-decoder/transformer.ts";
import { floatTensor, int64Rows, sessionOf } from "../graphs/run.test-helpers.ts";
import { loadModel } from "../load-model.ts";
import { arenTransliterationDir } from "../testing/assets.test-helpers.ts";

let model: LanguageModel;
let aren: CTranslate2TransformerFolder;

beforeAll(async () => {
  registerCoreBuiltins();
  model = await loadModel(arenTransliterationDir);
  aren = await loadCTranslate2TransformerFolder(arenTransliterationDir);
});
afterAll(async () => {
  await model.dispose?.();
});

/** One row [source | target] of a source name and its transliteration. */
async function rowOf(source: string, target: string) {
  const sourceIds = (await model.tokenize!(source)).tokens.map((token) => token.id!);
  const targetIds = (await model.tokenize!(target, { continuation: true })).tokens.map((token) => token.id!);
  return { ids: [...sourceIds, ...targetIds], sourceLength: sourceIds.length, targetIds };
}

function probabilityOf(logits: ArrayLike<number>, targetId: number): number {
  const values = Float64Array.from(logits);
  const max = Math.max(...values);
  let sum = 0;
  for (const value of values) sum += Math.exp(value - max);
  return Math.exp(values[targetId]! - max) / sum;
}

function maxAbs(data: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < data.length; i++) max = Math.max(max, Math.abs(data[i]!));
  return max;
}

function probabilityRequest(
  embeddings: DenseTensor,
  sourceLengths: number[],
  positions: number[],
  targetIds: number[],
  attentionMask?: number[][],
): GradientRequest {
  return {
    inputs: { embeddings, sourceLengths, ...(attentionMask ? { attentionMask } : {}) },
    objective: { kind: "stepFunction", stepFunction: "probability", positions, targetIds },
  };
}

describe("encoder-decoder gradients (aren-transliteration)", () => {
  it("embeds the source from the encoder table and the target from the decoder table; forward agrees with ids", async () => {
    const row = await rowOf("أحمد", "ahmad");
    const embeddings = await model.embed!([row.ids], { sourceLengths: [row.sourceLength] });
    expect(embeddings.dims).toEqual([1, row.ids.length, model.info.hiddenSize]);
    const fromIds = await model.forward!({ inputs: { ids: [row.ids], sourceLengths: [row.sourceLength] } });
    const fromEmbeddings = await model.forward!({
      inputs: { embeddings, sourceLengths: [row.sourceLength] },
    });
    expect(fromEmbeddings.logits.dims).toEqual(fromIds.logits.dims);
    const scale = maxAbs(fromIds.logits.data);
    fromIds.logits.data.forEach((value, i) => {
      expect(Math.abs(fromEmbeddings.logits.data[i]! - value)).toBeLessThan(1e-5 * scale);
    });
  });

  it("matches central finite differences of forward on embeddings, at source and target positions", async () => {
    const row = await rowOf("أحمد", "ahmad");
    const S = row.sourceLength;
    const t = 2;
    const position = S - 1 + t;
    const embeddings = await model.embed!([row.ids], { sourceLengths: [S] });
    const result = await model.gradients!(
      probabilityRequest(embeddings, [S], [position], [row.targetIds[t]!]),
    );
    const hidden = model.info.hiddenSize;
    expect(result.gradients.dims).toEqual(embeddings.dims);
    expect(result.logits.dims).toEqual([1, 1, model.info.vocabSize]);
    expect(result.objective[0]).toBeCloseTo(probabilityOf(result.logits.data, row.targetIds[t]!), 12);
    const largest = maxAbs(result.gradients.data);
    expect(largest).toBeGreaterThan(0);
    // Positions after the predicted one (target t and later) have no influence.
    for (let p = position + 1; p < row.ids.length; p++) {
      for (let h = 0; h < hidden; h++) expect(result.gradients.data[p * hidden + h]).toBe(0);
    }
    const order = [...result.gradients.data.keys()].sort(
      (a, b) => Math.abs(result.gradients.data[b]!) - Math.abs(result.gradients.data[a]!),
    );
    const sample = new Set<number>(order.slice(0, 6));
    for (const p of [0, 1, S - 1, S, S + 1, position + 1]) {
      for (const h of [0, 7, 19, hidden - 1]) sample.add(p * hidden + h);
    }
    // Central differences of the same weights' float64 graph (float32 rounding would swamp a small
    // step), and of the model's own float32 forward, looser.
    const exact = await sessionOf(
      buildTransformerGraph(aren.weights, { input: "embeds", dataType: "float64" }).model,
    );
    const start = aren.weights.tensors.get("decoder/embeddings/weight")!.data;
    const startId = model.info.specialTokens.bos!;
    const exactProbability = async (index: number, delta: number) => {
      const rows = Float64Array.from(embeddings.data);
      rows[index] = rows[index]! + delta;
      const decoder = [
        ...start.subarray(startId * hidden, (startId + 1) * hidden),
        ...rows.subarray(S * hidden),
      ];
      const outputs = await exact.run({
        inputs_embeds: floatTensor([...rows.subarray(0, S * hidden)], [1, S, hidden], "float64"),
        attention_mask: int64Rows([new Array<number>(S).fill(1)]),
        decoder_inputs_embeds: floatTensor(decoder, [1, decoder.length / hidden, hidden], "float64"),
        decoder_attention_mask: int64Rows([new Array<number>(decoder.length / hidden).fill(1)]),
      });
      const vocab = model.info.vocabSize;
      const logits = (outputs["logits"]!.data as Float64Array).subarray(t * vocab, (t + 1) * vocab);
      return probabilityOf(logits, row.targetIds[t]!);
    };
    const ownProbability = async (index: number, delta: number) => {
      const data = Float32Array.from(embeddings.data);
      data[index] = data[index]! + delta;
      const { logits } = await model.forward!({
        inputs: { embeddings: { data, dims: embeddings.dims }, sourceLengths: [S] },
        positions: [[position]],
      });
      return probabilityOf(logits.data, row.targetIds[t]!);
    };
    const errors: number[] = [];
    const ownErrors: number[] = [];
    for (const index of sample) {
      const gradient = result.gradients.data[index]!;
      const h = 1e-4;
      const numeric = ((await exactProbability(index, h)) - (await exactProbability(index, -h))) / (2 * h);
      errors.push(Math.abs(numeric - gradient) / largest);
      const own = ((await ownProbability(index, 1e-3)) - (await ownProbability(index, -1e-3))) / 2e-3;
      ownErrors.push(Math.abs(own - gradient) / largest);
    }
    // Measured: 1.2e-4 (float64 graph, h = 1e-4), 3.4e-3 (float32 forward, h = 1e-3).
    expect(Math.max(...ownErrors)).toBeLessThan(1e-2);
    expect(Math.max(...errors)).toBeLessThan(1e-3);
  });

  it("gives the same gradients from logitSeeds as from the step function they are the derivative of", async () => {
    const row = await rowOf("آتشيسون", "achison");
    const S = row.sourceLength;
    const position = S + 2;
    const targetId = row.targetIds[3]!;
    const embeddings = await model.embed!([row.ids], { sourceLengths: [S] });
    const stepped = await model.gradients!(probabilityRequest(embeddings, [S], [position], [targetId]));
    const derivative = getStepFunction("probability").evaluate(
      { logits: Float64Array.from(stepped.logits.data), targetId, parameters: {} },
      true,
    );
    const seeded = await model.gradients!({
      inputs: { ids: [row.ids], sourceLengths: [S] },
      objective: {
        kind: "logitSeeds",
        positions: [position],
        seeds: { data: Float32Array.from(derivative.gradLogits!), dims: [1, model.info.vocabSize] },
      },
    });
    expect(Number.isNaN(seeded.objective[0])).toBe(true);
    const scale = maxAbs(stepped.gradients.data);
    stepped.gradients.data.forEach((value, i) => {
      expect(Math.abs(seeded.gradients.data[i]! - value)).toBeLessThan(1e-6 * scale);
    });
  });

  it("gives each row of a batch with different source lengths what it gets alone", async () => {
    const first = await rowOf("آتشيسون", "achison");
    const second = await rowOf("جون", "jon");
    const width = first.ids.length;
    const padded = [...second.ids, ...new Array<number>(width - second.ids.length).fill(0)];
    const mask = [new Array<number>(width).fill(1), padded.map((_, t) => (t < second.ids.length ? 1 : 0))];
    const positions = [first.sourceLength + 1, second.sourceLength + 1];
    const targetIds = [first.targetIds[2]!, second.targetIds[2]!];
    const batched = await model.gradients!({
      inputs: {
        ids: [first.ids, padded],
        sourceLengths: [first.sourceLength, second.sourceLength],
        attentionMask: mask,
      },
      objective: { kind: "stepFunction", stepFunction: "probability", positions, targetIds },
    });
    const hidden = model.info.hiddenSize;
    for (const [b, row] of [first, second].entries()) {
      const alone = await model.gradients!({
        inputs: { ids: [row.ids], sourceLengths: [row.sourceLength] },
        objective: {
          kind: "stepFunction",
          stepFunction: "probability",
          positions: [positions[b]!],
          targetIds: [targetIds[b]!],
        },
      });
      expect(batched.objective[b]).toBeCloseTo(alone.objective[0]!, 6);
      const scale = maxAbs(alone.gradients.data);
      const offset = b * width * hidden;
      alone.gradients.data.forEach((value, i) => {
        expect(Math.abs(batched.gradients.data[offset + i]! - value)).toBeLessThan(1e-4 * scale);
      });
      for (let i = row.ids.length * hidden; i < width * hidden; i++) {
        expect(batched.gradients.data[offset + i]).toBe(0);
      }
    }
  });

  it("refuses rows without sourceLengths and gradients with respect to a residual", async () => {
    const row = await rowOf("آزا", "azza");
    await expect(model.embed!([row.ids])).rejects.toMatchObject({ code: "INVALID_INPUT" });
    const objective = {
      kind: "stepFunction" as const,
      stepFunction: "probability",
      positions: [row.sourceLength],
      targetIds: [row.targetIds[1]!],
    };
    await expect(model.gradients!({ inputs: { ids: [row.ids] }, objective })).rejects.toMatchObject({
      code: "INVALID_INPUT",
      message: expect.stringContaining("sourceLengths"),
    });
    await expect(
      model.gradients!({
        inputs: { ids: [row.ids], sourceLengths: [row.sourceLength] },
        objective,
        wrt: { kind: "residual", layer: 0 },
      }),
    ).rejects.toMatchObject({ code: "MISSING_CAPABILITY" });
  });
});
