import { interpolateRdBu, interpolateYlOrRd } from "d3-scale-chromatic";
import { describe, expect, it } from "vitest";
import { contrastingText, makeColorScale, parseRgb, relativeLuminance } from "./color-scale.ts";

const rdBu = (t: number) => parseRgb(interpolateRdBu(t));

describe("makeColorScale", () => {
  it("is diverging over a symmetric range when any score is negative, with 0 at the centre colour", () => {
    const scale = makeColorScale([-0.5, 2, null, 0.25]);
    expect(scale.kind).toBe("diverging");
    expect([scale.low, scale.high, scale.dataMin, scale.dataMax]).toEqual([-2, 2, -0.5, 2]);
    expect(scale.colorOf(0)).toEqual(rdBu(0.5));
    // Positive is red (RdBu's start), negative blue (its end).
    expect(scale.colorOf(2)).toEqual(rdBu(0));
    expect(scale.colorOf(-2)).toEqual(rdBu(1));
    expect(scale.colorOf(-1)).toEqual(rdBu(0.75));
    expect(scale.colorOf(null)).toBeNull();
    expect(scale.colorOf(Number.NaN)).toBeNull();
  });

  it("is sequential from 0 to the largest score when all scores are ≥ 0", () => {
    const scale = makeColorScale([0.2, 0.8, 0.4]);
    expect(scale.kind).toBe("sequential");
    expect([scale.low, scale.high]).toEqual([0, 0.8]);
    expect(scale.colorOf(0)).toEqual(parseRgb(interpolateYlOrRd(0)));
    expect(scale.colorOf(0.4)).toEqual(parseRgb(interpolateYlOrRd(0.5)));
    expect(scale.colorOf(0.8)).toEqual(parseRgb(interpolateYlOrRd(1)));
  });

  it("can be forced, ignores non-finite scores and survives all-zero input", () => {
    expect(makeColorScale([0.5, 1], "diverging").colorOf(-1)).toEqual(rdBu(1));
    const withInfinity = makeColorScale([Number.POSITIVE_INFINITY, -1, 1]);
    expect([withInfinity.low, withInfinity.high]).toEqual([-1, 1]);
    const zeros = makeColorScale([0, 0]);
    expect(zeros.colorOf(0)).toEqual(parseRgb(interpolateYlOrRd(0)));
    const empty = makeColorScale([null]);
    expect([empty.dataMin, empty.dataMax]).toEqual([null, null]);
  });
});

describe("contrast", () => {
  it("computes WCAG luminance and picks the text colour that contrasts more", () => {
    expect(relativeLuminance({ r: 255, g: 255, b: 255 })).toBeCloseTo(1, 12);
    expect(relativeLuminance({ r: 0, g: 0, b: 0 })).toBe(0);
    expect(contrastingText({ r: 255, g: 255, b: 204 })).toEqual({ r: 0, g: 0, b: 0 });
    expect(contrastingText({ r: 5, g: 48, b: 97 })).toEqual({ r: 255, g: 255, b: 255 });
    // Around the crossover luminance (≈0.179): grey 118 is just below, 119 just above.
    expect(contrastingText({ r: 117, g: 117, b: 117 })).toEqual({ r: 255, g: 255, b: 255 });
    expect(contrastingText({ r: 119, g: 119, b: 119 })).toEqual({ r: 0, g: 0, b: 0 });
  });
});
