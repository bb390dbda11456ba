import { describe, expect, it } from "vitest";
import { formatScore } from "../common/format-score.ts";
import { sequenceViews } from "../common/sequence-view.ts";
import { importanceDistribution } from "./distribution.ts";
import { allNodes, byClass, parseSvg, signedResult, sizedResult, titleOf } from "./svg.test-helpers.ts";
import { toSvg } from "./to-svg.ts";

describe("importanceDistribution", () => {
  it("divides |score| by the row's total |score|, keeping empty cells empty", () => {
    expect(importanceDistribution([0.5, -0.25, null, 0.25])).toEqual([0.5, 0.25, null, 0.25]);
    expect(importanceDistribution([0, 0, null])).toEqual([0, 0, null]);
    expect(importanceDistribution([Number.NaN, 2])).toEqual([null, 1]);
    const shares = importanceDistribution([0.1, -0.7, 0.3, 0.05]);
    expect(shares.reduce((sum: number, share) => sum + (share ?? 0), 0)).toBeCloseTo(1, 12);
  });
});

describe("toSvg distribution", () => {
  const root = parseSvg(toSvg(signedResult, { kind: "distribution", sequence: 0 }));
  const [view] = sequenceViews(signedResult, { sequence: 0 }, "test");

  it("draws one bar per non-empty cell, and each row's shares add up to 1", () => {
    const bars = byClass(root, "bar");
    expect(bars).toHaveLength(view!.cells.flat().filter((score) => score !== null).length);
    view!.target.forEach((_, t) => {
      const row = bars.filter((bar) => bar.attributes["data-row"] === String(t));
      const total = row.reduce((sum, bar) => sum + Number(bar.attributes["data-share"]), 0);
      expect(total).toBeCloseTo(1, 9);
    });
  });

  it("titles each bar with its token and share, and sets its height by the share", () => {
    const bars = byClass(root, "bar");
    const bar = bars.find(
      (node) => node.attributes["data-row"] === "1" && node.attributes["data-column"] === "2",
    )!;
    // Row 1: 0, 0.125, 1, -0.75 → Σ|score| = 1.875; "␣there" gets 1/1.875.
    expect(titleOf(bar)).toBe(`␣there → !: share ${formatScore(1 / 1.875, 2)} (score 1.00)`);
    const height = (node: typeof bar) =>
      Number(node.children.find((child) => child.name === "rect")!.attributes.height);
    const zero = bars.find(
      (node) => node.attributes["data-row"] === "1" && node.attributes["data-column"] === "0",
    )!;
    expect(height(zero)).toBe(0);
    expect(height(bar)).toBeGreaterThan(0);
  });

  it("has the axis titles, row labels and rotated token labels", () => {
    const texts = allNodes(root)
      .filter((node) => node.name === "text")
      .map((node) => node.text);
    expect(texts).toEqual(expect.arrayContaining(["Target", "Importance distribution"]));
    expect(byClass(root, "row-label").map((node) => node.text)).toEqual(["␣you", "!", "␣ok"]);
    const columns = byClass(root, "column-label");
    expect(columns.map((node) => node.text)).toEqual(["<s>", "Hi", "␣there", "␣you", "!", "␣ok"]);
    expect(columns.every((node) => /^rotate\(-90 /.test(node.attributes.transform ?? ""))).toBe(true);
  });

  it("grows with the token count", () => {
    const width = (count: number) =>
      Number(parseSvg(toSvg(sizedResult(count), { kind: "distribution" })).attributes.width);
    const height = (count: number) =>
      Number(parseSvg(toSvg(sizedResult(count), { kind: "distribution" })).attributes.height);
    expect(width(30)).toBeGreaterThan(width(10));
    expect(height(30)).toBeGreaterThan(height(10));
  });
});
