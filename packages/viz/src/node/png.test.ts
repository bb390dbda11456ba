import { isTokenscopeError } from "@tokenscope/core";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { sequenceViews } from "../common/sequence-view.ts";
import * as nodeEntry from "../node.ts";
import {
  byClass,
  invalidInput,
  origin,
  parseSvg,
  signedResult,
  sizedResult,
} from "../svg/svg.test-helpers.ts";
import { toSvg } from "../svg/to-svg.ts";
import { maxPngPixels, svgToPng, toPng } from "./png.ts";

describe("toPng", () => {
  it("is deterministic and zoom times the SVG's size", () => {
    const first = toPng(signedResult, { sequence: 0 });
    const second = toPng(signedResult, { sequence: 0 });
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
    expect([...first.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const svg = parseSvg(toSvg(signedResult, { sequence: 0 }));
    for (const zoom of [1, 2, 3]) {
      const png = PNG.sync.read(Buffer.from(toPng(signedResult, { sequence: 0, zoom })));
      expect([png.width, png.height]).toEqual([
        Number(svg.attributes.width) * zoom,
        Number(svg.attributes.height) * zoom,
      ]);
    }
  });

  it("paints each heatmap cell with its scale colour", () => {
    const zoom = 2;
    const svg = toSvg(signedResult, { sequence: 0 });
    const png = PNG.sync.read(Buffer.from(svgToPng(svg, { zoom })));
    const [view] = sequenceViews(signedResult, { sequence: 0 }, "test");
    const root = parseSvg(svg);
    const cells = byClass(root, "cell");
    expect(cells.length).toBeGreaterThan(5);
    for (const cell of cells) {
      const rect = cell.children.find((child) => child.name === "rect")!.attributes;
      const t = Number(cell.attributes["data-row"]);
      const c = Number(cell.attributes["data-column"]);
      const expected = view!.scale.colorOf(view!.cells[t]![c])!;
      // 3 px in from the left edge, at mid height: inside the cell, left of its centred number.
      const at = origin(root, cell)!;
      const x = Math.round((at.x + Number(rect.x) + 3) * zoom);
      const y = Math.round((at.y + Number(rect.y) + Number(rect.height) / 2) * zoom);
      const i = (y * png.width + x) * 4;
      const actual = { r: png.data[i]!, g: png.data[i + 1]!, b: png.data[i + 2]! };
      for (const channel of ["r", "g", "b"] as const) {
        expect(
          Math.abs(actual[channel] - expected[channel]),
          `cell ${t},${c} ${channel}`,
        ).toBeLessThanOrEqual(2);
      }
    }
  });

  it("refuses a bad zoom and an image too large to render", () => {
    invalidInput(() => toPng(signedResult, { zoom: 0 }));
    invalidInput(() => svgToPng("<svg/>", { zoom: Number.NaN }));
    const huge = '<svg xmlns="http://www.w3.org/2000/svg" width="20000" height="20000"/>';
    const error = invalidInput(() => svgToPng(huge, { zoom: 1 }));
    expect(error.message).toContain(maxPngPixels.toLocaleString("en-US"));
    expect(error.message).toMatch(/Lower zoom/);
    expect(isTokenscopeError(invalidInput(() => toPng(sizedResult(30), { zoom: 16 })))).toBe(true);
    invalidInput(() => toPng(signedResult, { kind: "nope" as never }));
  });

  it("is what the ./node entry point exports", () => {
    expect(nodeEntry.toPng).toBe(toPng);
    expect(nodeEntry.svgToPng).toBe(svgToPng);
    expect(Object.keys(nodeEntry)).toEqual(
      expect.arrayContaining(["bundledFonts", "maxPngPixels", "svgToPng", "toPng"]),
    );
  });
});
