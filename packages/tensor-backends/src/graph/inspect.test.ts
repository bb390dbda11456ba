import { describe, expect, it } from "vitest";
import { createGraphBuilder } from "./builder.ts";
import { inspectModel, nodesOnPath } from "./inspect.ts";

function model() {
  const g = createGraphBuilder("inspect");
  const ids = g.input("ids", "int64", ["batch", "seq"]);
  const mask = g.input("mask", "float32", ["batch", "seq"]);
  const table = g.initializer(new Float32Array(10 * 4), [10, 4], { name: "embeddings" });
  const w = g.initializer(new Float32Array(4 * 4), [4, 4], { name: "w" });
  const [embedded] = g.node("Gather", [table, ids], {}, { outputs: ["embedded"] });
  const [hidden] = g.node("MatMul", [embedded!, w], {}, { outputs: ["hidden"] });
  const [act] = g.node("FastGelu", [hidden!], {}, { domain: "com.microsoft", outputs: ["act"] });
  const [masked] = g.node(
    "Mul",
    [act!, g.node("Unsqueeze", [mask, g.constant([2n], [1])])[0]!],
    {},
    { outputs: ["masked"] },
  );
  const [side] = g.node("Erf", [embedded!], {}, { outputs: ["side"] });
  g.output(masked!);
  g.output(side!);
  return g.build();
}

describe("inspectModel", () => {
  it("summarizes inputs, outputs, op counts, opsets and initializer sizes", () => {
    const summary = inspectModel(model());
    expect(summary.inputs.map((i) => i.name)).toEqual(["ids", "mask"]);
    expect(summary.outputs.map((o) => o.name)).toEqual(["masked", "side"]);
    expect(summary.opCounts).toEqual({
      Gather: 1,
      MatMul: 1,
      "com.microsoft:FastGelu": 1,
      Constant: 1,
      Unsqueeze: 1,
      Mul: 1,
      Erf: 1,
    });
    expect(summary.opsets).toEqual({ "": 21, "com.microsoft": 1 });
    expect(summary.initializers).toEqual({ count: 2, bytes: (40 + 16) * 4 });
    expect(summary.opsOnPathWithoutRule).toEqual([]);
  });

  it("lists ops without a rule only on the path between the given values", () => {
    const hasRule = (opType: string) => ["MatMul", "Mul", "Gather"].includes(opType);
    const summary = inspectModel(model(), { path: { from: ["embedded"], to: ["masked"] }, hasRule });
    // MatMul, FastGelu, Mul lie between; Erf (off path) and the mask branch (not reached from `embedded`) do not.
    expect(summary.nodesOnPath).toBe(3);
    expect(summary.opsOnPathWithoutRule).toEqual([{ opType: "FastGelu", domain: "com.microsoft", count: 1 }]);
    const all = inspectModel(model(), { hasRule });
    expect(all.opsOnPathWithoutRule.map((op) => op.opType)).toEqual([
      "Constant",
      "Erf",
      "FastGelu",
      "Unsqueeze",
    ]);
  });

  it("rejects path ends that are not values of the graph", () => {
    expect(() => nodesOnPath(model().graph, ["nope"], ["masked"])).toThrow(/'nope' is not a value/);
  });
});
