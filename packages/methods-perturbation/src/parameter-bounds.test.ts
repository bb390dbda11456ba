import { boundsRefusedBeforeWork, unboundedParameters } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { methods } from "./index.ts";

describe("parameter bounds", () => {
  for (const method of methods) {
    it(`${method.id} bounds and documents every size parameter, refused before the model is used`, async () => {
      expect(unboundedParameters(method.parameters)).toEqual([]);
      expect(await boundsRefusedBeforeWork(method)).toEqual([]);
    });
  }

  it("refuses lime's n_samples 1e8 naming the parameter, the bound and why", async () => {
    const lime = methods.find((method) => method.id === "lime")!;
    const { parseParameters } = await import("@tokenscope/core");
    expect(() => parseParameters(lime.parameters, { n_samples: 1e8 }, "lime")).toThrowError(
      /n_samples: at most 100,000 samples \(each sample costs at least one forward or gradient pass/,
    );
  });
});
