import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { formatScore } from "../common/format-score.ts";
import { sequenceViews } from "../common/sequence-view.ts";
import { rgbString } from "./markup.ts";
import { stepEntries, stepScale } from "./step-row.ts";
import {
  allNodes,
  byClass,
  invalidInput,
  parseSvg,
  signedResult,
  textOf,
  titleOf,
} from "./svg.test-helpers.ts";
import { toSvg } from "./to-svg.ts";

const rectOf = (node: ReturnType<typeof parseSvg>) => node.children.find((child) => child.name === "rect")!;

describe("toSvg text", () => {
  it("shows the prompt then the generated tokens, coloured by the last step by default", () => {
    const root = parseSvg(toSvg(signedResult, { kind: "text", sequence: 0 }));
    const boxes = byClass(root, "token");
    expect(boxes.map(textOf)).toEqual(["<s>", "Hi", "␣there", "␣you", "!", "␣ok"]);
    expect(boxes.map((node) => node.attributes.class)).toEqual([
      "token explained",
      "token explained",
      "token explained",
      "token explained",
      "token explained",
      "token attributed",
    ]);
    const [view] = sequenceViews(signedResult, { sequence: 0 }, "test");
    const entries = stepEntries(view!, 2);
    const scale = stepScale(entries, "auto");
    // Step 2's row: <s> 0.3, Hi null (no colour), ␣there -0.6, then prefix ␣you 0.2 and ! 0.4.
    expect(entries.map((entry) => entry.score)).toEqual([0.3, null, -0.6, 0.2, 0.4]);
    entries.forEach((entry, i) => {
      const fill = rectOf(boxes[i]!).attributes.fill;
      expect(fill).toBe(entry.score === null ? "none" : rgbString(scale.colorOf(entry.score)!));
      expect(titleOf(boxes[i]!)).toBe(`${entry.token.label}: ${formatScore(entry.score, 2) || "no score"}`);
    });
    expect(rectOf(boxes[5]!).attributes).toMatchObject({ fill: "none", "stroke-width": "2" });
    expect(allNodes(root).some((node) => node.text === "attribution of step 2")).toBe(true);
  });

  it("greys the tokens generated after the explained step", () => {
    const root = parseSvg(toSvg(signedResult, { kind: "text", sequence: 0, step: 0 }));
    const classes = byClass(root, "token").map((node) => node.attributes.class);
    expect(classes.slice(3)).toEqual(["token attributed", "token later", "token later"]);
    const later = byClass(root, "later")[0]!;
    expect(allNodes(later).find((node) => node.name === "text")!.attributes.fill).toBe("#777777");
  });

  it("wraps to the width and ends a line after a token with a line break", () => {
    const words = Array.from({ length: 40 }, (_, i) => ` word${i}`);
    const result = makeResult([makeSequence({ source: ["Line", "\n", ...words], target: [" end"] })]);
    const root = parseSvg(toSvg(result, { kind: "text", width: 300 }));
    const rects = byClass(root, "token").map(rectOf);
    const ys = rects.map((rect) => Number(rect.attributes.y));
    expect(new Set(ys).size).toBeGreaterThan(5);
    // "↵" ends the first line: the next token starts a line.
    expect(ys[1]).toBe(ys[0]);
    expect(ys[2]).toBeGreaterThan(ys[1]!);
    expect(rects[2]!.attributes.x).toBe("0");
    for (const rect of rects)
      expect(Number(rect.attributes.x) + Number(rect.attributes.width)).toBeLessThanOrEqual(300);
    // The figure is never narrower than the width asked for (wider only for its title and legend).
    expect(Number(root.attributes.width)).toBeGreaterThanOrEqual(300);
  });

  it("names the steps a bad step could have been", () => {
    const error = invalidInput(() => toSvg(signedResult, { kind: "text", sequence: 0, step: 3 }));
    expect(error.message).toContain("from 0 to 2");
    invalidInput(() => toSvg(signedResult, { kind: "text", step: 1 })); // sequence 1 has one generated token
  });
});
