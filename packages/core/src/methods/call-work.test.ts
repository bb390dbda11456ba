import { describe, expect, it } from "vitest";
import type { ModelInfo } from "../model/language-model.ts";
import { createCallPacer, RESPONSIVE_CALL_FLOPS, responsiveRowsPerCall, rowFlops } from "./call-work.ts";

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

describe("call pacing by measured time", () => {
  it("grows from the estimate, at most doubling, while calls run short of the target", () => {
    const pacer = createCallPacer(1, 16, 1000);
    expect(pacer.rows()).toBe(1);
    pacer.record(1, 100);
    expect(pacer.rows()).toBe(2);
    pacer.record(2, 200);
    expect(pacer.rows()).toBe(4);
    pacer.record(4, 300);
    expect(pacer.rows()).toBe(8);
    // 8 rows in 800 ms: 10 fit the target, and the budget's 16 do not matter yet.
    pacer.record(8, 800);
    expect(pacer.rows()).toBe(10);
    pacer.record(10, 100);
    expect(pacer.rows()).toBe(16);
  });

  it("shrinks after a long call, never below the estimate or above the most", () => {
    const pacer = createCallPacer(3, 12, 1000);
    pacer.record(3, 10);
    expect(pacer.rows()).toBe(6);
    pacer.record(6, 3000);
    expect(pacer.rows()).toBe(3);
    expect(createCallPacer(20, 5).rows()).toBe(5);
    const zero = createCallPacer(2, 8, 1000);
    zero.record(2, 0);
    expect(zero.rows()).toBe(4);
    zero.record(0, Number.NaN);
    expect(zero.rows()).toBe(4);
  });
});
