import { describe, expect, it } from "vitest";
import { blockWidth, type LayoutColumn, packColumns } from "./heatmap-layout.ts";

const columns: LayoutColumn[] = [
  { group: "source", width: 4 },
  { group: "source", width: 4 },
  { group: "source", width: 6 },
  { group: "prefix", width: 4 },
  { group: "steps", width: 11 },
];

describe("blockWidth", () => {
  it("adds the labels, one rule per group and two padding spaces per cell", () => {
    // labels 5 + space, rule + 6 + 6 + 8, rule + 6, rule + 13
    expect(blockWidth(5, columns)).toBe(6 + 21 + 7 + 14);
    expect(blockWidth(3, [])).toBe(4);
  });
});

describe("packColumns", () => {
  it("keeps everything in one block when it fits", () => {
    expect(packColumns(columns, 5, 48)).toEqual([[0, 1, 2, 3, 4]]);
  });

  it("splits greedily, in order, into blocks no wider than the line", () => {
    for (const lineWidth of [20, 25, 30, 40, 47]) {
      const blocks = packColumns(columns, 5, lineWidth);
      expect(blocks.flat()).toEqual([0, 1, 2, 3, 4]);
      for (const block of blocks) {
        expect(
          blockWidth(
            5,
            block.map((i) => columns[i]!),
          ),
        ).toBeLessThanOrEqual(lineWidth);
      }
    }
    expect(packColumns(columns, 5, 27)).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    expect(packColumns(columns, 5, 26)).toEqual([[0, 1], [2, 3], [4]]);
    expect(packColumns(columns, 5, 34)).toEqual([[0, 1, 2, 3], [4]]);
  });

  it("gives a column wider than the line a block of its own", () => {
    expect(packColumns(columns, 5, 10)).toEqual([[0], [1], [2], [3], [4]]);
  });
});
