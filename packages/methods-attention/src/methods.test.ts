import { readdirSync } from "node:fs";
import {
  attribute,
  type LanguageModel,
  type MethodSequence,
  methodRegistry,
  parameterJsonSchema,
  parseParameters,
  registerCoreBuiltins,
  TokenscopeError,
} from "@tokenscope/core";
import { checkMethodConformance, createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { methods } from "./index.ts";
import { contextFor, sequenceOf, stories260k } from "./models.test-helpers.ts";

let model: LanguageModel;
let sequence: MethodSequence;

beforeAll(async () => {
  model = await stories260k();
  sequence = await sequenceOf(
    model,
    "Once upon a time, there was a little girl",
    " named Lily. She loved to play",
  );
}, 60_000);

const byId = (id: string) => methods.find((method) => method.id === id)!;

async function run(id: string, parameters: Record<string, unknown> = {}, sequences = [sequence]) {
  return byId(id).run(contextFor(model, sequences, parameters));
}

/** Sum of a step's finite source and target-prefix attributions. */
function rowSum(output: Awaited<ReturnType<typeof run>>[number], step: number): number {
  const columns = output.source.dims[1]!;
  const steps = output.target!.dims[1]!;
  let sum = 0;
  for (let s = 0; s < columns; s++) sum += output.source.data[step * columns + s]!;
  for (let u = 0; u < step; u++) sum += output.target!.data[step * steps + u]!;
  return sum;
}

async function errorOf(promise: Promise<unknown>): Promise<TokenscopeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TokenscopeError);
  return error as TokenscopeError;
}

describe("methods-attention", () => {
  it("lists one method per file, under Inseq's ids", () => {
    expect(methods.map((method) => method.id)).toEqual([
      "attention",
      "attention_rollout",
      "attention_last",
      "attention_summary",
    ]);
    const files = readdirSync(new URL(".", import.meta.url)).filter(
      (name) => name.endsWith(".ts") && !name.includes(".test") && name !== "index.ts",
    );
    expect(files.map((name) => name.replace(".ts", "").replaceAll("-", "_")).sort()).toEqual(
      methods.map((method) => method.id).sort(),
    );
    for (const method of methods) {
      expect(method.family).toBe("attention");
      expect(method.requires).toEqual(["forward", "taps.attention"]);
    }
  });

  for (const method of methods) {
    it(`${method.id} passes every conformance check on stories260K`, async () => {
      const checks = await checkMethodConformance(method, { model });
      expect(checks.map((check) => check.name)).toEqual([
        "shapes",
        "finite",
        "batched-equals-single",
        "deterministic",
        "causal",
      ]);
      for (const check of checks) expect(check, check.message).toMatchObject({ passed: true });
    });
  }

  for (const id of ["attention", "attention_rollout", "attention_last", "attention_summary"]) {
    it(`${id}: every step's source and target-prefix attributions sum to 1`, async () => {
      const [output] = await run(id);
      expect(sequence.target.length).toBeGreaterThan(5);
      for (let step = 0; step < sequence.target.length; step++)
        expect(rowSum(output!, step)).toBeCloseTo(1, 5);
    });

    it(`${id}: per-step results equal those of the step's own prefix`, async () => {
      const [full] = await run(id);
      const columns = sequence.source.length;
      const steps = sequence.target.length;
      for (const step of [0, 3, steps - 1]) {
        const prefix: MethodSequence = {
          ...sequence,
          target: sequence.target.slice(0, step + 1),
          steps: [step],
        };
        const [alone] = await run(id, {}, [prefix]);
        for (let s = 0; s < columns; s++) {
          expect(alone!.source.data[step * columns + s]).toBeCloseTo(
            full!.source.data[step * columns + s]!,
            6,
          );
        }
        for (let u = 0; u < step; u++) {
          expect(alone!.target!.data[step * (step + 1) + u]).toBeCloseTo(
            full!.target!.data[step * steps + u]!,
            6,
          );
        }
      }
    });
  }

  it("attention reads the tapped weights of the predicting position, reduced as asked", async () => {
    const ids = [...sequence.source, ...sequence.target].map((token) => token.id!);
    const { taps } = await model.forward!({ inputs: { ids: [ids] }, taps: { attention: true } });
    const n = ids.length;
    const heads = model.info.numHeads;
    const at = (layer: number, head: number, query: number, key: number) =>
      taps!.attention![layer]!.data[(head * n + query) * n + key]!;
    const step = 4;
    const query = sequence.source.length + step - 1;
    const columns = sequence.source.length;
    const [maxHeads] = await run("attention", { layers: "1:3", heads: [0, 5], aggregate_heads: "max" });
    const [minLayers] = await run("attention", { layers: [0, 4], heads: 2, aggregate_layers: "min" });
    const [last] = await run("attention_last");
    for (let key = 0; key < columns; key++) {
      const expectedMax =
        (Math.max(at(1, 0, query, key), at(1, 5, query, key)) +
          Math.max(at(2, 0, query, key), at(2, 5, query, key))) /
        2;
      expect(maxHeads!.source.data[step * columns + key]).toBeCloseTo(expectedMax, 6);
      expect(minLayers!.source.data[step * columns + key]).toBeCloseTo(
        Math.min(at(0, 2, query, key), at(4, 2, query, key)),
        6,
      );
      let lastMean = 0;
      for (let head = 0; head < heads; head++) lastMean += at(model.info.numLayers - 1, head, query, key);
      expect(last!.source.data[step * columns + key]).toBeCloseTo(lastMean / heads, 6);
    }
  });

  it("attention defaults to Inseq's: every layer and head, mean over heads, then mean over layers", async () => {
    expect(parseParameters(byId("attention").parameters, {}, "attention")).toEqual({
      layers: "all",
      heads: "all",
      aggregate_heads: "mean",
      aggregate_layers: "mean",
    });
    const ids = [...sequence.source, ...sequence.target].map((token) => token.id!);
    const { taps } = await model.forward!({ inputs: { ids: [ids] }, taps: { attention: true } });
    const n = ids.length;
    const { numLayers, numHeads } = model.info;
    const [output] = await run("attention");
    const columns = sequence.source.length;
    for (const step of [0, 4]) {
      const query = columns + step - 1;
      for (let key = 0; key < columns; key++) {
        let expected = 0;
        for (let layer = 0; layer < numLayers; layer++) {
          let headMean = 0;
          for (let head = 0; head < numHeads; head++)
            headMean += taps!.attention![layer]!.data[(head * n + query) * n + key]! / numHeads;
          expected += headMean / numLayers;
        }
        expect(output!.source.data[step * columns + key]).toBeCloseTo(expected, 6);
      }
    }
  });

  it("attention_summary puts a layer × head table per step in extras, and attributes their mean", async () => {
    const [summary] = await run("attention_summary", { layers: "-2:", heads: "0,3" });
    const [mean] = await run("attention", { layers: "-2:", heads: "0,3" });
    const tables = summary!.extras!.layerHeadTables as {
      weights: number[][][];
      layers: number[];
      top: number[][];
    }[];
    expect(tables).toHaveLength(sequence.target.length);
    expect(tables[2]!.layers).toEqual([3, 4]);
    expect(tables[2]!.weights.map((row) => row.length)).toEqual([2, 2]);
    expect(tables[2]!.weights[0]![0]!).toHaveLength(sequence.source.length + 2);
    const weights = tables[2]!.weights[1]![1]!;
    expect(tables[2]!.top[1]![1]).toBe(weights.indexOf(Math.max(...weights)));
    expect(
      [...summary!.source.data].every((value, index) => Math.abs(value - mean!.source.data[index]!) < 1e-9),
    ).toBe(true);
  });

  it("runs through attribute() with generation, after explicit registration", async () => {
    registerCoreBuiltins();
    for (const method of methods) if (!methodRegistry.has(method.id)) methodRegistry.register(method);
    const result = await attribute(model, "Once upon a time", {
      method: "attention_rollout",
      generation: { maxNewTokens: 4 },
      attributeTarget: true,
    });
    const [attributed] = result.sequences;
    expect(attributed!.target).toHaveLength(4);
    attributed!.sourceAttributions.forEach((row, step) => {
      const prefix = attributed!.targetAttributions![step]!.slice(0, step);
      const sum = [...row, ...prefix].reduce<number>((total, value) => total + (value ?? Number.NaN), 0);
      expect(sum).toBeCloseTo(1, 5);
    });
  });

  it("refuses bad layer and head selections with INVALID_PARAMETERS", async () => {
    for (const parameters of [
      { layers: 5 },
      { heads: "0:9" },
      { layers: "x" },
      { layers: [] },
      { aggregate_heads: "sum" },
    ]) {
      expect((await errorOf(run("attention", parameters))).code, JSON.stringify(parameters)).toBe(
        "INVALID_PARAMETERS",
      );
    }
    expect((await errorOf(run("attention_rollout", { attention_weight: 0 }))).code).toBe(
      "INVALID_PARAMETERS",
    );
    expect((await errorOf(run("attention_summary", { heads: -9 }))).code).toBe("INVALID_PARAMETERS");
  });

  it("names every parameter in snake_case, as Inseq and the gradient methods", () => {
    const all: string[] = [];
    for (const method of methods) {
      const keys = Object.keys((parameterJsonSchema(method.parameters)?.properties ?? {}) as object);
      for (const key of keys) expect(key, `${method.id}.${key}`).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
      all.push(...keys);
    }
    expect(all).toEqual(expect.arrayContaining(["aggregate_heads", "aggregate_layers", "attention_weight"]));
  });

  it("refuses an old camelCase parameter name with INVALID_PARAMETERS naming it, and takes its new name", async () => {
    for (const [id, old, key, value] of [
      ["attention", "aggregateHeads", "aggregate_heads", "max"],
      ["attention", "aggregateLayers", "aggregate_layers", "absmax"],
      ["attention_rollout", "attentionWeight", "attention_weight", 0.8],
    ] as const) {
      const error = await errorOf(run(id, { [old]: value }));
      expect(error.code, old).toBe("INVALID_PARAMETERS");
      expect(error.message, old).toContain(`"${old}"`);
      const parsed = parseParameters(byId(id).parameters, { [key]: value }, id) as Record<string, unknown>;
      expect(parsed[key], key).toBe(value);
      expect(parsed, key).not.toHaveProperty(old);
    }
  });

  it("names the missing capability and the model when the model has no attention taps", async () => {
    const toy = createToyModel();
    const toySequence = await sequenceOf(toy, "the cat", " sat");
    for (const method of methods) {
      const error = await errorOf(method.run(contextFor(toy, [toySequence])));
      expect(error.code).toBe("MISSING_CAPABILITY");
      expect(error.message).toContain('"taps.attention"');
      expect(error.message).toContain(toy.info.id);
    }
  });
});
