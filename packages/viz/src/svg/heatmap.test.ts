import { describe, expect, it } from "vitest";
import { formatScore } from "../common/format-score.ts";
import { columnToken, sequenceViews } from "../common/sequence-view.ts";
import { rgbString } from "./markup.ts";
import {
  allNodes,
  byClass,
  parseSvg,
  signedResult,
  sizedResult,
  textOf,
  titleOf,
} from "./svg.test-helpers.ts";
import { toSvg } from "./to-svg.ts";

function texts(root: ReturnType<typeof parseSvg>): string[] {
  return allNodes(root)
    .filter((node) => node.name === "text")
    .map((node) => node.text);
}

function size(svg: string): { width: number; height: number } {
  const root = parseSvg(svg);
  return { width: Number(root.attributes.width), height: Number(root.attributes.height) };
}

describe("toSvg heatmap", () => {
  const svg = toSvg(signedResult, { sequence: 0 });
  const root = parseSvg(svg);
  const [view] = sequenceViews(signedResult, { sequence: 0 }, "test");

  it("is a standalone SVG document with a size, a viewBox and a white background", () => {
    expect(root.attributes.xmlns).toBe("http://www.w3.org/2000/svg");
    const { width, height } = size(svg);
    expect(Number.isInteger(width) && Number.isInteger(height)).toBe(true);
    expect(root.attributes.viewBox).toBe(`0 0 ${width} ${height}`);
    const background = root.children.find((node) => node.name === "rect")!;
    expect(background.attributes).toMatchObject({
      width: String(width),
      height: String(height),
      fill: "#ffffff",
    });
  });

  it("titles the figure with model, method and attributed function, and the panel by its sequence", () => {
    const all = texts(root);
    expect(all[0]).toBe("model test/tiny-llama · method saliency · function probability");
    expect(all[1]).toMatch(/^sequence 0 · 3 source → 3 generated tokens$/);
    expect(all).toEqual(expect.arrayContaining(["source", "generated", "step scores"]));
  });

  it("puts every non-empty cell at its row and column, with its score, colour and a contrasting text", () => {
    const cells = byClass(root, "cell");
    const expected = view!.cells.flatMap((row, t) =>
      row.flatMap((score, c) => (score === null ? [] : [{ t, c, score }])),
    );
    expect(cells).toHaveLength(expected.length);
    const columnX = new Map<number, string>();
    const rowY = new Map<number, string>();
    for (const { t, c, score } of expected) {
      const cell = cells.find(
        (node) => node.attributes["data-row"] === String(t) && node.attributes["data-column"] === String(c),
      )!;
      expect(textOf(cell)).toBe(formatScore(score, 2));
      const rect = cell.children.find((node) => node.name === "rect")!;
      expect(rect.attributes.fill).toBe(rgbString(view!.scale.colorOf(score)!));
      // One x per column and one y per row: the grid is regular.
      expect(rect.attributes.x).toBe(columnX.get(c) ?? rect.attributes.x);
      expect(rect.attributes.y).toBe(rowY.get(t) ?? rect.attributes.y);
      columnX.set(c, rect.attributes.x!);
      rowY.set(t, rect.attributes.y!);
    }
    // Columns left to right, rows top to bottom.
    const xs = [...columnX.entries()].sort(([a], [b]) => a - b).map(([, x]) => Number(x));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    // [2][1] is null (not attributed) and [0][3..5] are target-prefix cells at or after their step: blank.
    expect(
      cells.some((node) => node.attributes["data-row"] === "2" && node.attributes["data-column"] === "1"),
    ).toBe(false);
    expect(cells.filter((node) => node.attributes["data-row"] === "0")).toHaveLength(3);
  });

  it("labels rows with the generated tokens and columns with the source then generated tokens", () => {
    const rowLabels = byClass(root, "row-label");
    expect(rowLabels.map((node) => node.text)).toEqual(["␣you", "!", "␣ok"]);
    const headers = byClass(root, "column-header").map((node) => node.text);
    expect(headers).toEqual([
      ...view!.columns.map((column) => columnToken(view!, column).label),
      "probability",
      "entropy",
    ]);
    expect(headers.slice(0, 3)).toEqual(["<s>", "Hi", "␣there"]);
    // Each row label sits on the baseline of its row's cells.
    const cell = byClass(root, "cell").find((node) => node.attributes["data-row"] === "1")!;
    const cellText = allNodes(cell).find((node) => node.name === "text")!;
    expect(rowLabels[1]!.attributes.y).toBe(cellText.attributes.y);
    for (const header of byClass(root, "column-header"))
      expect(header.attributes.transform).toMatch(/^rotate\(-90 /);
  });

  it("prints step scores uncoloured on the right", () => {
    const steps = byClass(root, "step-score");
    // Column by column: probability, then entropy.
    expect(steps.map(textOf)).toEqual(["0.90", "0.45", "0.50", "1.00", "2.00", "3.00"]);
    expect(steps.map((node) => node.attributes["data-row"])).toEqual(["0", "1", "2", "0", "1", "2"]);
    expect(steps.every((node) => !node.children.some((child) => child.name === "rect"))).toBe(true);
    const matrixRight = Math.max(
      ...byClass(root, "cell").map((node) => Number(node.children[0]!.attributes.x)),
    );
    const stepTextX = Math.min(...steps.map((node) => Number(node.children[0]!.attributes.x)));
    expect(stepTextX).toBeGreaterThan(matrixRight);
  });

  it("draws a legend with the scale's ends and 0", () => {
    const all = texts(root);
    expect(all).toEqual(
      expect.arrayContaining(["attribution", "-1.00", "0.00", "1.00", "min -0.75 · max 1.00"]),
    );
  });

  it("stacks one panel per sequence, each with its own scale", () => {
    const both = texts(parseSvg(toSvg(signedResult)));
    expect(both.filter((line) => line.startsWith("sequence "))).toEqual([
      "sequence 0 · 3 source → 3 generated tokens",
      "sequence 1 · 2 source → 1 generated token",
    ]);
    expect(both).toContain("min 0.20 · max 0.80");
  });

  it("follows the options: sequence, prefix, step scores, digits", () => {
    const trimmed = parseSvg(
      toSvg(signedResult, { sequence: 0, showTargetPrefix: false, stepScores: ["entropy"], digits: 3 }),
    );
    expect(byClass(trimmed, "column-header").map((node) => node.text)).toEqual([
      "<s>",
      "Hi",
      "␣there",
      "entropy",
    ]);
    expect(byClass(trimmed, "cell").map(textOf)).toContain("0.125");
    expect(texts(trimmed)).not.toContain("generated");
    expect(byClass(trimmed, "step-score").map(textOf)).toEqual(["1.000", "2.000", "3.000"]);
  });

  it("cuts long labels with … and keeps the full label as a <title>", () => {
    const long = toSvg(signedResult, { sequence: 0, maxTokenWidth: 3 });
    const cut = allNodes(parseSvg(long)).filter((node) => node.name === "g" && titleOf(node) === "␣there");
    expect(cut.length).toBeGreaterThan(0);
    expect(textOf(cut[0]!)).toBe("␣t…");
  });

  it("grows with the number of tokens, deterministically", () => {
    const small = size(toSvg(sizedResult(3)));
    const large = size(toSvg(sizedResult(12)));
    expect(large.width).toBeGreaterThan(small.width);
    expect(large.height).toBeGreaterThan(small.height);
    expect(toSvg(sizedResult(12))).toBe(toSvg(sizedResult(12)));
    // Larger digits widen the cells.
    expect(size(toSvg(sizedResult(3), { digits: 6 })).width).toBeGreaterThan(small.width);
  });
});
