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

  it("refuses n_steps 1e9 naming the parameter, the bound and why", async () => {
    const integrated = methods.find((method) => method.id === "integrated_gradients")!;
    const { parseParameters } = await import("@tokenscope/core");
    expect(() =>
      parseParameters(integrated.parameters, { n_steps: 1e9 }, "integrated_gradients"),
    ).toThrowError(/n_steps: at most 10,000 steps \(each step is one gradient row per attributed token/);
  });
});
