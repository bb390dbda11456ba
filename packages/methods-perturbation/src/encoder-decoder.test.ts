import { fileURLToPath } from "node:url";
import type { AttentionStack, LanguageModel, MethodSequence, MethodSequenceOutput } from "@tokenscope/core";
import { loadModel } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextFor } from "./models.test-helpers.ts";
import { reagent } from "./reagent.ts";
import { valueZeroing } from "./value-zeroing.ts";

const arenDir = fileURLToPath(new URL("../../../../shared/models/aren-transliteration", import.meta.url));
const storiesDir = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));

let model: LanguageModel;
let sequence: MethodSequence;
let S: number;
let T: number;

beforeAll(async () => {
  model = await loadModel(arenDir);
  const source = (await model.tokenize("آتزمون")).tokens;
  const target = (await model.tokenize("atzmon", { continuation: true })).tokens;
  sequence = { source, target, steps: target.map((_, step) => step) };
  S = source.length;
  T = target.length;
}, 60_000);
afterAll(async () => model.dispose?.());

const run = async (parameters: Record<string, unknown>, attributeTarget = true) =>
  (await valueZeroing.run(contextFor(model, [sequence], { parameters, attributeTarget })))[0]!;

/** The finite cells of a result: source, target prefix and the encoder's self-scores. */
function parts(output: MethodSequenceOutput) {
  const finite = (data: ArrayLike<number>) => Array.from(data).filter((value) => Number.isFinite(value));
  return {
    source: finite(output.source.data),
    target: finite(output.target?.data ?? []),
    encoder: (output.extras!["encoderSelfScores"] as { data: number[] }).data,
  };
}

const anyAbove = (values: number[], floor: number) => values.some((value) => value > floor);
const allZero = (values: number[]) => values.every((value) => value === 0);

/** 1 − cosine of two vectors. */
function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return 1 - dot / Math.sqrt(na * nb);
}

/** The residual of `stack` after `layer` at `position`, with one key's values zeroed in `zero.stack`. */
async function residualAt(
  stack: "encoder" | "decoder",
  layer: number,
  position: number,
  ids: number[],
  zero?: { stack: AttentionStack; position: number },
): Promise<Float32Array> {
  const { taps } = await model.forward!({
    inputs: { ids: [ids], sourceLengths: [S] },
    taps: { residual: true, layers: [layer], stack },
    ...(zero
      ? {
          interventions: [
            { kind: "zeroValues" as const, layer, positions: [zero.position], stack: zero.stack },
          ],
        }
      : {}),
  });
  const tensor = taps!.residual![0]!;
  const hidden = tensor.dims[2]!;
  return Float32Array.from(tensor.data.subarray(position * hidden, (position + 1) * hidden));
}

describe("value_zeroing on an encoder-decoder (aren-transliteration)", () => {
  it("encoder-only, decoder-only and cross-only selections give three different results; nothing zeroed gives zero", async () => {
    const nothing = {};
    const encoderOnly = parts(await run({ decoder_zeroed_units: nothing, cross_zeroed_units: nothing }));
    const decoderOnly = parts(await run({ encoder_zeroed_units: nothing, cross_zeroed_units: nothing }));
    const crossOnly = parts(await run({ encoder_zeroed_units: nothing, decoder_zeroed_units: nothing }));
    const none = parts(
      await run({
        encoder_zeroed_units: nothing,
        decoder_zeroed_units: nothing,
        cross_zeroed_units: nothing,
      }),
    );
    expect(encoderOnly.source).toHaveLength(T * S);
    expect(allZero(encoderOnly.source) && allZero(encoderOnly.target)).toBe(true);
    expect(anyAbove(encoderOnly.encoder, 1e-3)).toBe(true);
    expect(allZero(decoderOnly.source) && allZero(decoderOnly.encoder)).toBe(true);
    expect(anyAbove(decoderOnly.target, 1e-3)).toBe(true);
    expect(allZero(crossOnly.target) && allZero(crossOnly.encoder)).toBe(true);
    expect(anyAbove(crossOnly.source, 1e-3)).toBe(true);
    for (const part of [none.source, none.target, none.encoder]) expect(allZero(part)).toBe(true);
    // Normalised per layer, then averaged: each attributed row sums to 1 (or 0 when nothing moved).
    for (let step = 0; step < T; step++) {
      const row = crossOnly.source.slice(step * S, (step + 1) * S).reduce((a, b) => a + b, 0);
      expect(row).toBeCloseTo(1, 6);
    }
    for (let q = 0; q < S; q++) {
      const row = encoderOnly.encoder.slice(q * S, (q + 1) * S).reduce((a, b) => a + b, 0);
      expect(row).toBeCloseTo(1, 6);
    }
  });

  it("equals 1 − cosine of direct forward passes in each part, per layer, unnormalised", async () => {
    const layer = 2;
    const raw = { normalize_layers: false, min_score: 0 };
    const only = (part: "encoder" | "decoder" | "cross") => ({
      encoder_zeroed_units: part === "encoder" ? { [layer]: "all" } : {},
      decoder_zeroed_units: part === "decoder" ? { [layer]: "all" } : {},
      cross_zeroed_units: part === "cross" ? { [layer]: "all" } : {},
    });
    const ids = [...sequence.source, ...sequence.target].map((token) => token.id!).slice(0, S + T - 1);
    const cross = parts(await run({ ...raw, ...only("cross") }));
    for (const [step, s] of [
      [0, 0],
      [3, 2],
      [T - 1, S - 1],
    ] as const) {
      const clean = await residualAt("decoder", layer, step, ids);
      const zeroed = await residualAt("decoder", layer, step, ids, { stack: "cross", position: s });
      expect(cross.source[step * S + s]).toBeCloseTo(cosineDistance(clean, zeroed), 6);
    }
    const decoder = await run({ ...raw, ...only("decoder") });
    for (const [step, prefix] of [
      [1, 0],
      [5, 3],
    ] as const) {
      const clean = await residualAt("decoder", layer, step, ids);
      // Target token `prefix` is read at decoder position prefix + 1.
      const zeroed = await residualAt("decoder", layer, step, ids, {
        stack: "decoder",
        position: prefix + 1,
      });
      expect(decoder.target!.data[step * T + prefix]).toBeCloseTo(cosineDistance(clean, zeroed), 6);
    }
    // A step cannot see a later target token.
    expect(Number.isNaN(decoder.target!.data[2 * T + 2]!)).toBe(true);
    const encoder = parts(await run({ ...raw, ...only("encoder") }));
    for (const [q, s] of [
      [0, 4],
      [5, 1],
    ] as const) {
      const clean = await residualAt("encoder", layer, q, ids);
      const zeroed = await residualAt("encoder", layer, q, ids, { stack: "encoder", position: s });
      expect(encoder.encoder[q * S + s]).toBeCloseTo(cosineDistance(clean, zeroed), 6);
    }
  });

  it("refuses encoder and cross selections on a decoder-only model", async () => {
    const stories = await loadModel(storiesDir);
    const source = (await stories.tokenize("Once upon", { addSpecialTokens: true })).tokens;
    const target = (await stories.tokenize(" a time", { addSpecialTokens: false })).tokens;
    await expect(
      valueZeroing.run(
        contextFor(stories, [{ source, target, steps: [0] }], { parameters: { cross_zeroed_units: {} } }),
      ),
    ).rejects.toMatchObject({ code: "INVALID_PARAMETERS", message: expect.stringContaining("decoder-only") });
    await stories.dispose?.();
  });
});

describe("reagent on an encoder-decoder (aren-transliteration)", () => {
  it("replaces source tokens from the source vocabulary and target tokens from the target's, every sampler", async () => {
    const seen: number[][] = [];
    const spy: LanguageModel = {
      ...model,
      forward: async (request) => {
        if ("ids" in request.inputs) {
          request.inputs.ids.forEach((row, b) => {
            const sourceLength = request.inputs.sourceLengths![b]!;
            seen.push(
              row.slice(0, sourceLength),
              row.slice(sourceLength).map((id) => -1 - id),
            );
          });
        }
        return model.forward!(request);
      },
    };
    const short: MethodSequence = { ...sequence, steps: [2, 4] };
    for (const sampler of ["uniform", "pos", "model"]) {
      seen.length = 0;
      const [output] = await reagent.run(
        contextFor(spy, [short], {
          attributeTarget: true,
          parameters: { sampler, num_probes: 4, max_probe_steps: 20, seed: 1 },
        }),
      );
      for (const step of short.steps) {
        let sum = 0;
        for (let s = 0; s < S; s++) sum += output!.source.data[step * S + s]!;
        for (let p = 0; p < step; p++) sum += output!.target!.data[step * T + p]!;
        expect(sum, sampler).toBeCloseTo(1, 6);
      }
      const sourceIds = seen.filter((_, i) => i % 2 === 0).flat();
      const targetIds = seen
        .filter((_, i) => i % 2 === 1)
        .flat()
        .map((id) => -1 - id);
      // The aren vocabularies: 51 source ids (0–2 and 50 special), 43 target ids; both sides were perturbed.
      expect(
        sourceIds.every((id) => id >= 3 && id < 50),
        sampler,
      ).toBe(true);
      expect(
        targetIds.every((id) => id >= 0 && id < 43),
        sampler,
      ).toBe(true);
      const original = sequence.source.map((token) => token.id!);
      expect(
        sourceIds.some((id, i) => id !== original[i % S]),
        sampler,
      ).toBe(true);
      expect(new Set(sourceIds).size, sampler).toBeGreaterThan(10);
    }
  });
});
