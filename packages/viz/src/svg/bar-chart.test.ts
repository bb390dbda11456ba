import { describe, expect, it } from "vitest";
import {
  byClass,
  invalidInput,
  parseSvg,
  type SvgNode,
  signedResult,
  sizedResult,
} from "./svg.test-helpers.ts";
import { toSvg } from "./to-svg.ts";

const child = (node: SvgNode, name: string) => node.children.find((c) => c.name === name);

describe("toSvg bar", () => {
  const root = parseSvg(toSvg(signedResult, { kind: "bar", sequence: 0 }));
  const axisX = Number(byClass(root, "zero-axis")[0]!.attributes.x1);

  it("draws one bar per source and prefix token of the last step, negative left of the axis", () => {
    const bars = byClass(root, "bar");
    // Step 2: <s> 0.3, Hi null, ␣there -0.6, ␣you 0.2, ! 0.4.
    expect(bars.map((bar) => child(bar, "text")?.text ?? "")).toEqual(["0.30", "", "-0.60", "0.20", "0.40"]);
    expect(byClass(root, "row-label").map((node) => node.text)).toEqual(["<s>", "Hi", "␣there", "␣you", "!"]);
    const rect = (i: number) => child(bars[i]!, "rect")!.attributes;
    expect(child(bars[1]!, "rect")).toBeUndefined();
    expect(Number(rect(2).x) + Number(rect(2).width)).toBeCloseTo(axisX, 1);
    expect(Number(rect(2).x)).toBeLessThan(axisX);
    for (const i of [0, 3, 4]) expect(Number(rect(i).x)).toBe(axisX);
    // Lengths are proportional to |score|: -0.6 is the longest, twice 0.3.
    expect(Number(rect(2).width)).toBeCloseTo(2 * Number(rect(0).width), 1);
    // Values beside the bars: left of a negative bar, right of a positive one.
    expect(Number(child(bars[2]!, "text")!.attributes.x)).toBeLessThan(Number(rect(2).x));
    expect(Number(child(bars[0]!, "text")!.attributes.x)).toBeGreaterThan(axisX + Number(rect(0).width));
  });

  it("explains the step asked for and grows with the token count", () => {
    const first = parseSvg(toSvg(signedResult, { kind: "bar", sequence: 0, step: 0 }));
    expect(byClass(first, "row-label").map((node) => node.text)).toEqual(["<s>", "Hi", "␣there"]);
    const height = (count: number) =>
      Number(parseSvg(toSvg(sizedResult(count), { kind: "bar" })).attributes.height);
    expect(height(20)).toBeGreaterThan(height(5));
    expect(invalidInput(() => toSvg(signedResult, { kind: "bar", sequence: 0, step: 7 })).message).toContain(
      "from 0 to 2",
    );
  });
});
