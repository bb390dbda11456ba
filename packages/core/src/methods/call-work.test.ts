import { describe, expect, it } from "vitest";
import type { ModelInfo } from "../model/language-model.ts";
import { RESPONSIVE_CALL_FLOPS, responsiveRowsPerCall, rowFlops } from "./call-work.ts";

const info = (hiddenSize: number, numLayers: number, vocabSize: number): ModelInfo => ({
  id: "test",
  architecture: "llama",
  vocabSize,
  hiddenSize,
  numLayers,
  numHeads: 8,
  contextLength: 4096,
  encoderDecoder: false,
  specialTokens: {},
});

describe("responsive call sizes", () => {
  it("keep a call of stories260K gradient rows to a quarter second's work", () => {
    const stories = info(64, 5, 512);
    // Measured on two busy cores: ~3.5 ms per gradient row of 25 tokens, so ~75 rows ≈ 0.26 s.
    expect(responsiveRowsPerCall(stories, 25, "gradient")).toBeGreaterThanOrEqual(50);
    expect(responsiveRowsPerCall(stories, 25, "gradient")).toBeLessThanOrEqual(100);
    expect(responsiveRowsPerCall(stories, 25, "forward")).toBe(
      Math.floor(RESPONSIVE_CALL_FLOPS / rowFlops(stories, 25, "forward")),
    );
  });

  it("never go below one row, and shrink as rows grow", () => {
    const large = info(4096, 32, 128_256);
    expect(responsiveRowsPerCall(large, 2048, "gradient")).toBe(1);
    const small = info(64, 5, 512);
    expect(responsiveRowsPerCall(small, 400, "forward")).toBeLessThan(
      responsiveRowsPerCall(small, 25, "forward"),
    );
    expect(rowFlops(small, 25, "gradient")).toBeCloseTo(3 * rowFlops(small, 25, "forward"), 6);
  });
});
