import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";

describe("canonicalJson", () => {
  it("sorts keys at every level and leaves undefined members out; undefined array items are null", () => {
    expect(canonicalJson({ b: 1, a: [1, { d: undefined, c: "x" }, undefined] })).toBe(
      '{"a":[1,{"c":"x"},null],"b":1}',
    );
    expect(canonicalJson({ x: { z: 1, y: 2 } })).toBe(canonicalJson({ x: { y: 2, z: 1 } }));
  });

  it("refuses what JSON cannot hold, naming where", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(() => canonicalJson({ a: [Number.NaN] }, "settings")).toThrow(/settings\.a\[0\] is NaN/);
    expect(() => canonicalJson(cyclic)).toThrow(/a cycle/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
  });
});
