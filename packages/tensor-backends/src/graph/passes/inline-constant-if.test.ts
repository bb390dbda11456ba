import { describe, expect, it } from "vitest";
import { createOnnxruntimeNodeRuntime } from "../../runtime/onnxruntime-node.ts";
import type { RuntimeTensor } from "../../runtime/types.ts";
import { createGraphBuilder } from "../builder.ts";
import type { OnnxModel } from "../types.ts";
import { inlineConstantIf } from "./inline-constant-if.ts";
import { topologicalSort } from "./topological-sort.ts";

async function run(model: OnnxModel, feeds: Record<string, RuntimeTensor>) {
  const session = await createOnnxruntimeNodeRuntime().createSession(model);
  const out = await session.run(feeds);
  await session.dispose();
  return out;
}

/**
 * out = If(flag) then (x·2 + 1, x) else (-x, x); flag a Constant or an initializer. With `direct`, the
 * branches return the outer `x` itself, which ONNX allows but onnxruntime refuses (so only the inlined
 * model can run).
 */
function model(flag: boolean, asInitializer: boolean, direct = false): OnnxModel {
  const g = createGraphBuilder("if");
  const x = g.input("x", "float32", [2]);
  const cond = asInitializer
    ? g.initializer(Uint8Array.of(flag ? 1 : 0), [], { dataType: "bool", name: "flag" })
    : g.constant(Uint8Array.of(flag ? 1 : 0), [], { dataType: "bool", name: "flag" });
  const thenBranch = g.subgraph("then");
  const two = thenBranch.initializer(Float32Array.of(2), [], { name: "two" });
  const [doubled] = thenBranch.node("Mul", [x, two], {}, { name: "tmp" });
  const [plusOne] = thenBranch.node("Add", [doubled!, thenBranch.constant(Float32Array.of(1), [])]);
  thenBranch.output(plusOne!, "float32", [2]);
  thenBranch.output(direct ? x : thenBranch.node("Identity", [x])[0]!, "float32", [2]);
  const elseBranch = g.subgraph("else");
  const [negated] = elseBranch.node("Neg", [x]);
  elseBranch.output(negated!, "float32", [2]);
  elseBranch.output(direct ? x : elseBranch.node("Identity", [x])[0]!, "float32", [2]);
  const [main, passed] = g.node(
    "If",
    [cond],
    { then_branch: thenBranch.graph(), else_branch: elseBranch.graph() },
    { name: "if", outputs: ["main", "passed"] },
  );
  g.output(main!, "float32", [2]);
  g.output(passed!, "float32", [2]);
  return g.build();
}

const feeds: Record<string, RuntimeTensor> = {
  x: { dataType: "float32", dims: [2], data: Float32Array.of(3, -1) },
};

describe("inlineConstantIf", () => {
  for (const flag of [true, false]) {
    for (const asInitializer of [true, false]) {
      it(`splices the ${flag ? "then" : "else"} branch (condition a ${asInitializer ? "initializer" : "Constant"}), same outputs on onnxruntime-node`, async () => {
        const original = model(flag, asInitializer);
        const graph = topologicalSort(inlineConstantIf(original.graph));
        expect(graph.nodes.some((n) => n.opType === "If")).toBe(false);
        const before = await run(original, feeds);
        const after = await run({ ...original, graph }, feeds);
        expect(Array.from(after["main"]!.data as Float32Array)).toEqual(
          Array.from(before["main"]!.data as Float32Array),
        );
        expect(Array.from(after["passed"]!.data as Float32Array)).toEqual([3, -1]);
        expect(Array.from(after["main"]!.data as Float32Array)).toEqual(flag ? [7, -1] : [-3, 1]);
      });
    }
  }

  it("adds an Identity where the branch returns an outer value directly", async () => {
    const graph = topologicalSort(inlineConstantIf(model(false, true, true).graph));
    const identity = graph.nodes.find((n) => n.opType === "Identity");
    expect(identity?.inputs).toEqual(["x"]);
    expect(identity?.outputs).toEqual(["passed"]);
    const out = await run({ ...model(false, true, true), graph }, feeds);
    expect(Array.from(out["passed"]!.data as Float32Array)).toEqual([3, -1]);
    expect(Array.from(out["main"]!.data as Float32Array)).toEqual([-3, 1]);
  });

  it("leaves an If on a runtime condition alone", () => {
    const g = createGraphBuilder("dynamic");
    const cond = g.input("cond", "bool", []);
    const branch = g.subgraph("b");
    branch.output(branch.node("Identity", [cond])[0]!, "bool", []);
    const other = g.subgraph("c");
    other.output(other.node("Not", [cond])[0]!, "bool", []);
    g.output(
      g.node("If", [cond], { then_branch: branch.graph(), else_branch: other.graph() })[0]!,
      "bool",
      [],
    );
    const graph = g.graph();
    expect(inlineConstantIf(graph)).toBe(graph);
  });

  it("keeps names unique when the branch reuses a name from the outer graph's node names", () => {
    const graph = inlineConstantIf(model(true, false).graph);
    const names = graph.nodes.flatMap((n) => n.outputs);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(graph.nodes.map((n) => n.name)).size).toBe(graph.nodes.length);
  });
});
