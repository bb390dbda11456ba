import { fileURLToPath } from "node:url";
import { type LanguageModel, type MethodSequence, parseParameters, TokenscopeError } from "@tokenscope/core";
import { checkMethodConformance, createToyModel } from "@tokenscope/core/testing";
import { loadModel } from "@tokenscope/models/node";
import { beforeAll, describe, expect, it } from "vitest";
import { contextFor, countForwardCalls, toySequence } from "./models.test-helpers.ts";
import { combineLayers, type ZeroingPlan } from "./shared/value-zeroing-plan.ts";
import { valueZeroing } from "./value-zeroing.ts";

const stories260kDir = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));

let model: LanguageModel;
let sequence: MethodSequence;
let short: MethodSequence;

beforeAll(async () => {
  model = await loadModel(stories260kDir);
  sequence = await toySequence(model, "Once upon a time, there was a girl", " named Lily.");
  short = await toySequence(model, "One day", " she ran");
}, 60_000);

async function run(parameters: Record<string, unknown>, sequences = [sequence], attributeTarget = true) {
  return valueZeroing.run(contextFor(model, sequences, { parameters, attributeTarget }));
}

/** Residual after `layer` at `position`, with the values of `zeroed` in `zeroLayer` zeroed (independent of the method). */
async function hiddenAt(
  ids: number[],
  layer: number,
  position: number,
  zero?: { layer: number; position: number; heads?: number[] },
) {
  const { taps } = await model.forward!({
    inputs: { ids: [ids] },
    taps: { residual: true, layers: [layer] },
    ...(zero
      ? {
          interventions: [
            {
              kind: "zeroValues" as const,
              layer: zero.layer,
              positions: [zero.position],
              ...(zero.heads ? { heads: zero.heads } : {}),
            },
          ],
        }
      : {}),
  });
  const hidden = model.info.hiddenSize;
  return Array.from(taps!.residual![0]!.data.subarray(position * hidden, (position + 1) * hidden));
}

const cosineDistance = (a: number[], b: number[]) => {
  const dot = a.reduce((sum, x, i) => sum + x * b[i]!, 0);
  const norm = (v: number[]) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
  return 1 - dot / (norm(a) * norm(b));
};

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return error instanceof TokenscopeError ? error.code : String(error);
}

/**
 * The residual stream after `layer` at every position, [position][hidden], with the values of `zero`
 * zeroed — read through the model interface alone, independently of the method.
 */
async function residualRows(ids: number[], layer: number, zero?: { layer: number; position: number }) {
  const { taps } = await model.forward!({
    inputs: { ids: [ids] },
    taps: { residual: true, layers: [layer] },
    ...(zero
      ? { interventions: [{ kind: "zeroValues" as const, ...zero, positions: [zero.position] }] }
      : {}),
  });
  const hidden = model.info.hiddenSize;
  const data = taps!.residual![0]!.data;
  return ids.map((_, position) => Array.from(data.subarray(position * hidden, (position + 1) * hidden)));
}

describe("value_zeroing defaults (Inseq's)", () => {
  it("decoder_zeroed_units (Inseq's per-layer heads) equals the same layers × heads selection", async () => {
    const [byUnits] = await run({ decoder_zeroed_units: { "1": [0, 2], "-1": "all" } }, [short]);
    const [byLayers] = await run({ layers: [1], heads: [0, 2] }, [short]);
    const [last] = await run({ layers: -1 }, [short]);
    // The mean of two layers' normalised rows: layer 1 (heads 0, 2) and the last layer (every head).
    const data = byUnits!.source.data;
    for (let i = 0; i < data.length; i++) {
      if (Number.isNaN(data[i]!)) continue;
      expect(data[i]).toBeCloseTo((byLayers!.source.data[i]! + last!.source.data[i]!) / 2, 9);
    }
    const [none] = await run({ decoder_zeroed_units: {} }, [short]);
    for (const value of none!.source.data) if (!Number.isNaN(value)) expect(value).toBe(0);
  });

  it("are every layer and head, measured at the zeroed layer, 1e-5 threshold, rows normalised per layer", () => {
    expect(parseParameters(valueZeroing.parameters, {}, "value_zeroing")).toEqual({
      layers: "all",
      heads: "all",
      measure_layer: "zeroed",
      similarity: "cosine",
      min_score: 1e-5,
      normalize_layers: true,
      batch_size: 32,
    });
    expect(valueZeroing.description).toContain("final norm");
  });

  it("thresholds, then normalises each (step, layer) row over the keys the step sees, then averages layers", () => {
    // Two steps predicting from positions 1 and 2, three keys; two layers.
    const plan: ZeroingPlan = {
      ids: [],
      sourceLength: 3,
      targetLength: 2,
      steps: [0, 1],
      queries: [1, 2],
      keys: 3,
    };
    const layerA = Float64Array.from([0.3, 0.1, 0, 2e-6, 0.5, 0.25]);
    const layerB = Float64Array.from([0, 0, 0, 0.2, 0.2, 0.4]);
    const combined = combineLayers([layerA, layerB], plan, { minScore: 1e-5, normalizeLayers: true });
    const expected = [
      (0.75 + 0) / 2, // layer B's first row is all zeros and stays zeros
      (0.25 + 0) / 2,
      0,
      (0 + 0.25) / 2, // 2e-6 is below the threshold
      (2 / 3 + 0.25) / 2,
      (1 / 3 + 0.5) / 2,
    ];
    for (const [index, value] of expected.entries()) expect(combined[index]).toBeCloseTo(value, 14);
    const raw = combineLayers([layerA, layerB], plan, { minScore: 0, normalizeLayers: false });
    for (const [index, value] of [0.15, 0.05, 0, 0.100001, 0.35, 0.325].entries())
      expect(raw[index]).toBeCloseTo(value, 14);
  });

  it("with defaults equals Inseq's definition, recomputed here layer by layer from the model's taps", async () => {
    const [output] = await run({}, [short]);
    const ids = [...short.source, ...short.target].map((token) => token.id!);
    const S = short.source.length;
    const T = short.target.length;
    const layers = model.info.numLayers;
    const lastQuery = S + T - 2;
    const input = ids.slice(0, lastQuery + 1);
    // distances[l][k][q]: 1 − cos at position q of layer l's output, with token k's values zeroed in layer l.
    const distances: number[][][] = [];
    for (let l = 0; l < layers; l++) {
      const clean = await residualRows(input, l);
      distances.push([]);
      for (let k = 0; k <= lastQuery; k++) {
        const zeroed = await residualRows(input, l, { layer: l, position: k });
        distances[l]!.push(clean.map((state, q) => cosineDistance(state, zeroed[q]!)));
      }
    }
    for (let step = 0; step < T; step++) {
      const q = S + step - 1;
      const expected = new Array<number>(q + 1).fill(0);
      for (let l = 0; l < layers; l++) {
        const row = Array.from({ length: q + 1 }, (_, k) => {
          const score = distances[l]![k]![q]!;
          return score < 1e-5 ? 0 : score;
        });
        const sum = row.reduce((a, b) => a + b, 0);
        row.forEach((score, k) => {
          expected[k]! += (sum > 0 ? score / sum : 0) / layers;
        });
      }
      let total = 0;
      expected.forEach((value, k) => {
        const actual = k < S ? output!.source.data[step * S + k]! : output!.target!.data[step * T + k - S]!;
        expect(actual).toBeCloseTo(value, 5);
        total += actual;
      });
      // Every layer row sums to 1, so their mean does too.
      expect(total).toBeCloseTo(1, 5);
    }
  });
});

describe("value_zeroing on stories260K", () => {
  it("passes every conformance check", async () => {
    const checks = await checkMethodConformance(valueZeroing, { model, parameters: { layers: "0,4" } });
    expect(checks.map((check) => check.name)).toEqual([
      "shapes",
      "finite",
      "batched-equals-single",
      "deterministic",
      "causal",
    ]);
    for (const check of checks) expect(check, check.message).toMatchObject({ passed: true });
  });

  it("with measure_layer last and no per-layer normalisation, is the plain mean of 1 − cos over layers", async () => {
    const ids = [...sequence.source, ...sequence.target].map((token) => token.id!);
    const [output] = await run({
      layers: [1, 3],
      measure_layer: "last",
      normalize_layers: false,
      min_score: 0,
    });
    const columns = sequence.source.length;
    const steps = sequence.target.length;
    const last = model.info.numLayers - 1;
    for (const [step, key] of [
      [0, 2],
      [2, 5],
      [3, columns + 1],
    ] as const) {
      const query = columns + step - 1;
      const ids_ = ids.slice(0, query + 1);
      const clean = await hiddenAt(ids_, last, query);
      let expected = 0;
      for (const layer of [1, 3])
        expected += cosineDistance(clean, await hiddenAt(ids_, last, query, { layer, position: key })) / 2;
      const actual =
        key < columns
          ? output!.source.data[step * columns + key]
          : output!.target!.data[step * steps + key - columns];
      expect(expected).toBeGreaterThan(1e-6);
      expect(actual).toBeCloseTo(expected, 5);
    }
  });

  it("measures after the zeroed layer, with Euclidean distance and chosen heads, when asked", async () => {
    const ids = [...sequence.source, ...sequence.target].map((token) => token.id!);
    const columns = sequence.source.length;
    const [output] = await run({
      layers: 2,
      heads: "4:6",
      measure_layer: "zeroed",
      similarity: "euclidean",
      normalize_layers: false,
      min_score: 0,
    });
    const query = columns + 1;
    const clean = await hiddenAt(ids.slice(0, query + 1), 2, query);
    const changed = await hiddenAt(ids.slice(0, query + 1), 2, query, {
      layer: 2,
      position: 3,
      heads: [4, 5],
    });
    const expected = Math.sqrt(clean.reduce((sum, x, i) => sum + (x - changed[i]!) ** 2, 0));
    expect(expected).toBeGreaterThan(1e-6);
    expect(output!.source.data[2 * columns + 3]).toBeCloseTo(expected, 4);
  });

  it("gives zeros when nothing is zeroed: an empty layer list (no forward call) or an empty head list", async () => {
    const counted = countForwardCalls(model);
    const [none] = await valueZeroing.run(
      contextFor(counted.model, [sequence], { parameters: { layers: [] } }),
    );
    expect(counted.rowsPerCall).toEqual([]);
    const [noHeads] = await run({ layers: "all", heads: [] });
    for (const output of [none!, noHeads!]) {
      const finite = [...output.source.data].filter((value) => !Number.isNaN(value));
      expect(finite).toHaveLength(output.source.data.length);
      expect(finite.every((value) => value === 0)).toBe(true);
    }
  });

  it("batches every (sequence, layer, position) perturbation of one attribution into calls of batch_size rows", async () => {
    const perturbations = 2 * (sequence.source.length + short.source.length);
    const counted = countForwardCalls(model);
    await valueZeroing.run(
      contextFor(counted.model, [sequence, short], { parameters: { layers: "0:2" }, attributeTarget: false }),
    );
    // One clean call for both sequences, then all perturbations together.
    expect(counted.rowsPerCall).toEqual([2, perturbations]);
    const small = countForwardCalls(model);
    await valueZeroing.run(
      contextFor(small.model, [sequence, short], {
        parameters: { layers: "0:2", batch_size: 7 },
        attributeTarget: false,
      }),
    );
    const expected = [2];
    for (let left = perturbations; left > 0; left -= 7) expected.push(Math.min(7, left));
    expect(small.rowsPerCall).toEqual(expected);
  });

  it("refuses bad selections and measure layers with INVALID_PARAMETERS", async () => {
    for (const parameters of [
      { layers: 5 },
      { heads: "2:1" },
      { layers: "one" },
      { measure_layer: 7 },
      { similarity: "dot" },
    ]) {
      expect(await codeOf(run(parameters)), JSON.stringify(parameters)).toBe("INVALID_PARAMETERS");
    }
  });

  it("names the missing capability and the model when the model has no value-zeroing interventions", async () => {
    const toy = createToyModel();
    const error = await valueZeroing
      .run(contextFor(toy, [await toySequence(toy, "the cat", " sat")]))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenscopeError);
    expect((error as TokenscopeError).code).toBe("MISSING_CAPABILITY");
    expect((error as TokenscopeError).message).toContain('"interventions.valueZeroing"');
    expect((error as TokenscopeError).message).toContain(toy.info.id);
  });
});
