import { createYieldPoint } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import type { CoalitionPlan } from "../shared/coalitions.ts";
import { stepStream } from "../shared/random.ts";
import { ablationPlan } from "./ablation.ts";
import { kernelCoalitions, shapleyKernelWeight } from "./kernel-shap.ts";
import { exactShapleyPlan } from "./shapley-exact.ts";
import { shapleySamplingPlan } from "./shapley-sampling.ts";

const random = () => stepStream(3, [1, 2, 3], 0);
const point = createYieldPoint();

/** Every coalition of a plan, copied (a plan may hand out one reused view). */
function coalitionsOf(plan: CoalitionPlan): Uint8Array[] {
  return Array.from({ length: plan.count }, (_, k) => Uint8Array.from(plan.coalition(k)));
}

describe("coalition plans", () => {
  it("ablation: one coalition per feature with only it absent; score = full − value", async () => {
    const plan = ablationPlan(3);
    expect(coalitionsOf(plan).map((c) => Array.from(c))).toEqual([
      [0, 1, 1],
      [1, 0, 1],
      [1, 1, 0],
    ]);
    expect(Array.from(await plan.scores(Float64Array.from([1, 2, 4]), 5, point))).toEqual([4, 3, 1]);
  });

  it("exact Shapley: the glove game gives the textbook values (1/6, 1/6, 2/3)", async () => {
    // Players 0 and 1 own left gloves, player 2 a right glove; a pair is worth 1.
    const plan = exactShapleyPlan(3, "test");
    const worth = (c: Uint8Array) => ((c[0]! || c[1]!) && c[2]! ? 1 : 0);
    const values = Float64Array.from(coalitionsOf(plan), worth);
    const phi = Array.from(await plan.scores(values, 1, point));
    expect(phi[0]).toBeCloseTo(1 / 6, 15);
    expect(phi[1]).toBeCloseTo(1 / 6, 15);
    expect(phi[2]).toBeCloseTo(2 / 3, 15);
  });

  it("Shapley sampling: 1 + samples × (d − 1) coalitions, each order telescoping to full − empty", async () => {
    const plan = shapleySamplingPlan(4, 5, random());
    expect(plan.count).toBe(1 + 5 * 3);
    const additive = [0.5, -1, 2, 0.25];
    const worth = (c: Uint8Array) => c.reduce((sum, present, j) => sum + present * additive[j]!, 0);
    const phi = Array.from(await plan.scores(Float64Array.from(coalitionsOf(plan), worth), 1.75, point));
    phi.forEach((value, j) => {
      expect(value).toBeCloseTo(additive[j]!, 15);
    });
  });

  it("KernelSHAP: a full budget enumerates all 2^d − 2 coalitions with weights ∝ the Shapley kernel", async () => {
    const d = 5;
    const { coalitions, weights } = await kernelCoalitions(d, 30, random());
    expect(coalitions.length).toBe(30);
    const ratios = coalitions.map(
      (c, k) =>
        weights[k]! /
        shapleyKernelWeight(
          d,
          c.reduce((a, b) => a + b, 0),
        ),
    );
    for (const ratio of ratios) expect(ratio).toBeCloseTo(ratios[0]!, 12);
    expect(new Set(coalitions.map((c) => c.join(""))).size).toBe(30);
  });

  it("KernelSHAP: a small budget enumerates sizes 1 and d − 1 and samples the rest, weights summing to 1", async () => {
    const d = 8;
    const { coalitions, weights } = await kernelCoalitions(d, 40, random());
    const sizes = coalitions.map((c) => c.reduce((a, b) => a + b, 0));
    expect(sizes.filter((size) => size === 1).length).toBe(8);
    expect(sizes.filter((size) => size === 7).length).toBe(8);
    expect(sizes.every((size) => size >= 1 && size <= 7)).toBe(true);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});
