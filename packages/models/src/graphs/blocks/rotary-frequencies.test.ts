import { describe, expect, it } from "vitest";
import { rotaryInverseFrequencies } from "./rotary-frequencies.ts";

describe("rotaryInverseFrequencies", () => {
  it("is theta^(-2i/dim)", () => {
    expect(Array.from(rotaryInverseFrequencies(4, 10000))).toEqual([1, 0.01]);
  });

  it("applies Llama 3.1's rule: short wavelengths kept, long ones divided by factor, a blend between", () => {
    // Llama 3.1 8B: head 128, theta 500000, factor 8, low 1, high 4, original context 8192.
    const scaling = {
      type: "llama3",
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    } as const;
    const base = rotaryInverseFrequencies(128, 500000);
    const scaled = rotaryInverseFrequencies(128, 500000, scaling);
    const wavelength = (f: number) => (2 * Math.PI) / f;
    let kept = 0;
    let divided = 0;
    let blended = 0;
    base.forEach((f, i) => {
      if (wavelength(f) < 8192 / 4) {
        expect(scaled[i]).toBe(f);
        kept++;
      } else if (wavelength(f) > 8192) {
        expect(scaled[i]).toBeCloseTo(f / 8, 15);
        divided++;
      } else {
        const smooth = (8192 / wavelength(f) - 1) / 3;
        expect(scaled[i]).toBeCloseTo((1 - smooth) * (f / 8) + smooth * f, 15);
        expect(scaled[i]! < f && scaled[i]! > f / 8).toBe(true);
        blended++;
      }
    });
    // Index 0 (wavelength 2π) is kept; the smallest frequency (wavelength ≈ 3.1e6) is divided.
    expect(scaled[0]).toBe(1);
    expect(scaled[63]).toBeCloseTo(base[63]! / 8, 20);
    expect([kept > 0, divided > 0, blended > 0]).toEqual([true, true, true]);
  });

  it("divides every frequency by the linear factor", () => {
    expect(Array.from(rotaryInverseFrequencies(4, 10000, { type: "linear", factor: 4 }))).toEqual([
      0.25, 0.0025,
    ]);
  });
});
