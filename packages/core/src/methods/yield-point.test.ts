import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { createYieldPoint, yieldToEventLoop } from "./yield-point.ts";

describe("yield points", () => {
  it("let a timer that aborts the run fire inside a loop that would otherwise never end", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 5);
    const point = createYieldPoint(controller.signal, 1);
    let iterations = 0;
    const loop = async () => {
      for (;;) {
        iterations++;
        if (point.due()) await point.pause();
      }
    };
    const error = await loop().catch((caught: unknown) => caught);
    expect(isTokenscopeError(error, "ABORTED")).toBe(true);
    expect(iterations).toBeGreaterThan(1);
  });

  it("are due only after the interval", async () => {
    const point = createYieldPoint(undefined, 60_000);
    expect(point.due()).toBe(false);
    expect(createYieldPoint(undefined, 0).due()).toBe(true);
    await point.pause();
    expect(point.due()).toBe(false);
  });

  it("yieldToEventLoop runs pending immediates first and throws once aborted", async () => {
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    await yieldToEventLoop();
    expect(ran).toBe(true);
    const controller = new AbortController();
    controller.abort();
    await expect(yieldToEventLoop(controller.signal)).rejects.toMatchObject({ code: "ABORTED" });
  });
});
