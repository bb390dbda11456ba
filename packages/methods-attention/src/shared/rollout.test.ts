import { describe, expect, it } from "vitest";
import type { AttentionMaps } from "./attention-maps.ts";
import { attentionRollout } from "./rollout.ts";

// Two layers, two heads, three positions, causal rows summing to 1.
const layer0 = [
  [1, 0, 0, 0.6, 0.4, 0, 0.2, 0.3, 0.5],
  [1, 0, 0, 0.2, 0.8, 0, 0.6, 0.3, 0.1],
];
const layer1 = [
  [1, 0, 0, 1, 0, 0, 0.1, 0.1, 0.8],
  [1, 0, 0, 0.5, 0.5, 0, 0.3, 0.5, 0.2],
];
const maps: AttentionMaps = {
  length: 3,
  heads: 2,
  layers: [0, 1],
  weights: [Float64Array.from(layer0.flat()), Float64Array.from(layer1.flat())],
};

function hand(layer: number[][]): number[][] {
  // Head mean, then 0.5·A + 0.5·I; rows already sum to 1, so renormalising changes nothing.
  return [0, 1, 2].map((i) =>
    [0, 1, 2].map((j) => 0.5 * ((layer[0]![i * 3 + j]! + layer[1]![i * 3 + j]!) / 2) + (i === j ? 0.5 : 0)),
  );
}

describe("attentionRollout", () => {
  it("equals the product of the hand-computed residual-corrected layers, last layer on the left", async () => {
    const a = hand(layer0);
    const b = hand(layer1);
    const expected = [0, 1, 2].map((i) =>
      [0, 1, 2].map((j) => [0, 1, 2].reduce((sum, k) => sum + b[i]![k]! * a[k]![j]!, 0)),
    );
    const rollout = await attentionRollout(maps, 0.5);
    for (const [index, value] of expected.flat().entries()) expect(rollout[index]).toBeCloseTo(value, 12);
    // Row 2 by hand: b[2] = [0.1, 0.15, 0.75], a = [[1,0,0],[0.2,0.8,0],[0.2,0.15,0.65]].
    expect(rollout[6]).toBeCloseTo(0.1 + 0.15 * 0.2 + 0.75 * 0.2, 12);
  });

  it("keeps rows stochastic and is the identity with no layers", async () => {
    const rollout = await attentionRollout(maps, 0.9);
    for (let row = 0; row < 3; row++)
      expect(rollout[row * 3]! + rollout[row * 3 + 1]! + rollout[row * 3 + 2]!).toBeCloseTo(1, 12);
    expect([...(await attentionRollout({ ...maps, layers: [], weights: [] }, 0.5))]).toEqual([
      1, 0, 0, 0, 1, 0, 0, 0, 1,
    ]);
  });

  it("lets the event loop in between rows of a long product", async () => {
    const n = 300;
    const weights = new Float32Array(n * n);
    for (let query = 0; query < n; query++)
      for (let key = 0; key <= query; key++) weights[query * n + key] = 1 / (query + 1);
    const long = { ...maps, length: n, heads: 1, layers: [0, 1, 2], weights: [weights, weights, weights] };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 5);
      const { createYieldPoint } = await import("@tokenscope/core");
      await expect(attentionRollout(long, 0.5, createYieldPoint(controller.signal, 1))).rejects.toMatchObject(
        {
          code: "ABORTED",
        },
      );
      expect(ticks).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
  });
});
