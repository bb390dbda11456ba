import { describe, expect, it } from "vitest";
import { toOrtOptions } from "./ort-adapter.ts";

describe("toOrtOptions", () => {
  it("turns ONNX Runtime's memory pattern off by default (it doubled the peak of repeated calls)", () => {
    expect(toOrtOptions({}, [])["enableMemPattern"]).toBe(false);
  });

  it("lets the caller turn it back on, and maps threads, levels and providers", () => {
    const options = toOrtOptions(
      { ortOptions: { enableMemPattern: true }, intraOpThreads: 3, graphOptimizationLevel: "basic" },
      ["cpu"],
    );
    expect(options).toMatchObject({
      enableMemPattern: true,
      intraOpNumThreads: 3,
      graphOptimizationLevel: "basic",
      executionProviders: ["cpu"],
    });
  });
});
