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
});
