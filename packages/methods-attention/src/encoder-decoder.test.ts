import { fileURLToPath } from "node:url";
import type { DenseTensor, LanguageModel, MethodSequence } from "@tokenscope/core";
import { loadModel } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { methods } from "./index.ts";
import { contextFor } from "./models.test-helpers.ts";

/** The shared aren-transliteration encoder-decoder beside the repository (never copied into it). */
const arenDir = fileURLToPath(new URL("../../../../shared/models/aren-transliteration", import.meta.url));

let model: LanguageModel;
let sequence: MethodSequence;
/** Decoder length D (start token plus target) and source length S of `sequence`. */
let D: number;
let S: number;

beforeAll(async () => {
  model = await loadModel(arenDir);
  const source = (await model.tokenize("آتزمون")).tokens;
  const target = (await model.tokenize("atzmon", { continuation: true })).tokens;
  sequence = { source, target, steps: target.map((_, step) => step) };
  S = source.length;
  D = target.length + 1;
}, 60_000);
afterAll(async () => model.dispose?.());

const byId = (id: string) => methods.find((method) => method.id === id)!;
const run = (id: string, parameters: Record<string, unknown> = {}) =>
  byId(id).run(contextFor(model, [sequence], parameters));

/** Every layer's attention of one part, straight from the model's taps. */
async function tapped(stack: "encoder" | "decoder" | "cross"): Promise<DenseTensor[]> {
  const ids = [...sequence.source, ...sequence.target].map((token) => token.id!);
  const { taps } = await model.forward!({
    inputs: { ids: [ids], sourceLengths: [S] },
    taps: { attention: true, stack },
  });
  return taps!.attention!;
}

/** Head and layer mean of `maps` [1, heads, rows, keys] at (row, key). */
function meanAt(maps: DenseTensor[], row: number, key: number): number {
  let sum = 0;
  let count = 0;
  for (const map of maps) {
    const [, heads, rows, keys] = map.dims as number[];
    for (let head = 0; head < heads!; head++) {
      sum += map.data[(head * rows! + row) * keys! + key]!;
      count++;
    }
  }
  return sum / count;
}

describe("attention methods on an encoder-decoder (aren-transliteration)", () => {
  it("attention: source attributions are the cross-attention, target ones the decoder self-attention", async () => {
    const [output] = await run("attention");
    const cross = await tapped("cross");
    const decoder = await tapped("decoder");
    const encoder = await tapped("encoder");
    expect(output!.source.dims).toEqual([D - 1, S, 1]);
    for (let step = 0; step < D - 1; step++) {
      let sum = 0;
      for (let s = 0; s < S; s++) {
        const value = output!.source.data[step * S + s]!;
        expect(value).toBeCloseTo(meanAt(cross, step, s), 6);
        sum += value;
      }
      // Cross-attention rows sum to 1: the source alone holds a step's attention.
      expect(sum).toBeCloseTo(1, 5);
      for (let prefix = 0; prefix < step; prefix++) {
        expect(output!.target!.data[step * (D - 1) + prefix]).toBeCloseTo(
          meanAt(decoder, step, prefix + 1),
          6,
        );
      }
    }
    const extra = output!.extras!["encoderSelfAttention"] as { dims: number[]; data: number[] };
    expect(extra.dims).toEqual([S, S]);
    for (let q = 0; q < S; q++) {
      let sum = 0;
      for (let k = 0; k < S; k++) {
        expect(extra.data[q * S + k]).toBeCloseTo(meanAt(encoder, q, k), 6);
        sum += extra.data[q * S + k]!;
      }
      expect(sum).toBeCloseTo(1, 5);
    }
  });

  it("every kind of attention (encoder, decoder, cross) has rows that sum to 1", async () => {
    for (const stack of ["encoder", "decoder", "cross"] as const) {
      for (const map of await tapped(stack)) {
        const keys = map.dims[3]!;
        for (let row = 0; row < map.data.length / keys; row++) {
          let sum = 0;
          for (let key = 0; key < keys; key++) sum += map.data[row * keys + key]!;
          expect(sum, stack).toBeCloseTo(1, 5);
        }
      }
    }
  });

  it("attention_last and attention_summary read the last decoder layer's cross-attention", async () => {
    const [last] = await run("attention_last");
    const cross = await tapped("cross");
    for (let step = 0; step < D - 1; step++) {
      for (let s = 0; s < S; s++)
        expect(last!.source.data[step * S + s]).toBeCloseTo(meanAt([cross.at(-1)!], step, s), 6);
    }
    const [summary] = await run("attention_summary", { layers: -1 });
    for (let i = 0; i < last!.source.data.length; i++)
      expect(summary!.source.data[i]).toBeCloseTo(last!.source.data[i]!, 6);
  });

  it("attention_rollout equals the product of joint [decoder | source] layer matrices, rows summing to 1", async () => {
    const w = 0.5;
    const [output] = await run("attention_rollout", { attention_weight: w });
    const encoder = await tapped("encoder");
    const decoder = await tapped("decoder");
    const cross = await tapped("cross");
    // Encoder rollout, plainly: R = Â_l · R over the encoder layers.
    const identity = (n: number) =>
      Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => +(i === j)));
    const times = (a: number[][], b: number[][]) =>
      a.map((row) => b[0]!.map((_, j) => row.reduce((sum, value, k) => sum + value * b[k]![j]!, 0)));
    const residualMix = (maps: DenseTensor, n: number) =>
      Array.from({ length: n }, (_, q) => {
        const row = Array.from({ length: n }, (_, k) => w * meanAt([maps], q, k) + (q === k ? 1 - w : 0));
        const total = row.reduce((a, b) => a + b, 0);
        return row.map((value) => value / total);
      });
    let encoderRollout = identity(S);
    for (const map of encoder) encoderRollout = times(residualMix(map, S), encoderRollout);
    // The joint state over [decoder positions | source tokens]: a self-attention block mixes decoder
    // states; a cross block keeps (1 − w) of each and adds w of the encoder output, itself the
    // encoder rollout of the source tokens. Source tokens map to themselves.
    const n = D + S;
    let joint = identity(n);
    for (let l = 0; l < decoder.length; l++) {
      const self = residualMix(decoder[l]!, D);
      const selfBlock = identity(n).map((row, i) => (i < D ? [...self[i]!, ...row.slice(D)] : row));
      const crossBlock = identity(n).map((row, i) => {
        if (i >= D) return row;
        const fromSource = Array.from({ length: S }, (_, s) =>
          Array.from({ length: S }, (_, k) => meanAt([cross[l]!], i, k) * encoderRollout[k]![s]!).reduce(
            (a, b) => a + b,
            0,
          ),
        );
        return [...row.slice(0, D).map((value) => (1 - w) * value), ...fromSource.map((value) => w * value)];
      });
      joint = times(crossBlock, times(selfBlock, joint));
    }
    for (let step = 0; step < D - 1; step++) {
      let sum = joint[step]![0]!; // the decoder start token's share
      for (let s = 0; s < S; s++) {
        expect(output!.source.data[step * S + s]).toBeCloseTo(joint[step]![D + s]!, 9);
        sum += output!.source.data[step * S + s]!;
      }
      for (let prefix = 0; prefix < step; prefix++) {
        expect(output!.target!.data[step * (D - 1) + prefix]).toBeCloseTo(joint[step]![prefix + 1]!, 9);
        sum += output!.target!.data[step * (D - 1) + prefix]!;
      }
      // Later decoder positions are invisible to a causal decoder.
      for (let later = step + 1; later < D; later++) expect(joint[step]![later]).toBeCloseTo(0, 12);
      // float32 attention rows sum to 1 within ~1e-7 each.
      expect(sum).toBeCloseTo(1, 6);
    }
  });
});
