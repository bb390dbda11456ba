import { describe, expect, it } from "vitest";
import type { MethodDescriptor } from "../worker/protocol.ts";
import { availableMethods } from "./available-methods.ts";

const method = (id: string, requires: string[]): MethodDescriptor => ({
  id,
  family: "gradient",
  summary: id,
  requires,
  supportsTargetPrefix: true,
});

describe("availableMethods", () => {
  const methods = [
    method("saliency", ["embed", "gradients"]),
    method("attention", ["forward", "taps.attention"]),
  ];

  it("keeps the methods whose every capability the model has", () => {
    expect(availableMethods(methods, ["embed", "gradients", "forward"]).map((m) => m.id)).toEqual([
      "saliency",
    ]);
  });

  it("lists every method before a model is loaded", () => {
    expect(availableMethods(methods, undefined)).toHaveLength(2);
  });
});
