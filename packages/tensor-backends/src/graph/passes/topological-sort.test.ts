import { describe, expect, it } from "vitest";
import { isTensorBackendError } from "../../errors.ts";
import { createOnnxruntimeNodeRuntime } from "../../runtime/onnxruntime-node.ts";
import { createGraphBuilder } from "../builder.ts";
import type { Graph, OnnxModel } from "../types.ts";
import { topologicalSort } from "./topological-sort.ts";

function chain(): OnnxModel {
  const g = createGraphBuilder("chain");
  const x = g.input("x", "float32", [3]);
  const [a] = g.node("Mul", [x, x], {}, { name: "square" });
  const [b] = g.node("Add", [a!, x], {}, { name: "plus" });
  const [c] = g.node("Neg", [b!], {}, { name: "negate" });
  g.output(c!, "float32", [3]);
  return g.build();
}

describe("topologicalSort", () => {
  it("restores a runnable order from a reversed node list, giving the same result on onnxruntime-node", async () => {
    const model = chain();
    const shuffled: Graph = { ...model.graph, nodes: [...model.graph.nodes].reverse() };
    const sorted = topologicalSort(shuffled);
    expect(sorted.nodes.map((n) => n.name)).toEqual(["square", "plus", "negate"]);
    const session = await createOnnxruntimeNodeRuntime().createSession({ ...model, graph: sorted });
    const out = await session.run({ x: { dataType: "float32", dims: [3], data: Float32Array.of(1, 2, -3) } });
    await session.dispose();
    // -(x² + x)
    expect(Array.from(out[model.graph.outputs[0]!.name]!.data as Float32Array)).toEqual([-2, -6, -6]);
  });

  it("keeps an already sorted graph as it is", () => {
    const { graph } = chain();
    expect(topologicalSort(graph).nodes).toEqual(graph.nodes);
  });

  it("orders a node after producers its subgraph reads from the outer scope", () => {
    const g = createGraphBuilder("outer");
    const cond = g.input("cond", "bool", []);
    const x = g.input("x", "float32", [1]);
    const branch = (op: string) => {
      const b = g.subgraph(op);
      const [y] = b.node(op, ["outer_value"]);
      b.output(y!, "float32", [1]);
      return b.graph();
    };
    const [ifOut] = g.node(
      "If",
      [cond],
      { then_branch: branch("Neg"), else_branch: branch("Abs") },
      { name: "if" },
    );
    g.node("Exp", [x], {}, { name: "producer", outputs: ["outer_value"] });
    g.output(ifOut!, "float32", [1]);
    const sorted = topologicalSort(g.graph());
    expect(sorted.nodes.map((n) => n.name)).toEqual(["producer", "if"]);
  });

  it("reports a cycle with INVALID_MODEL naming a node on it", () => {
    const g = createGraphBuilder("cycle");
    g.node("Neg", ["b"], {}, { name: "first", outputs: ["a"] });
    g.node("Neg", ["a"], {}, { name: "second", outputs: ["b"] });
    try {
      topologicalSort(g.graph());
      expect.unreachable();
    } catch (error) {
      expect(isTensorBackendError(error, "INVALID_MODEL")).toBe(true);
      expect((error as Error).message).toMatch(/cycle through node '(first|second)'/);
    }
  });

  it("sorts a 20 000-node chain without overflowing the stack", () => {
    const g = createGraphBuilder("deep");
    let value = g.input("x", "float32", [1]);
    for (let i = 0; i < 20_000; i++) value = g.node("Neg", [value])[0]!;
    const graph = g.graph();
    const sorted = topologicalSort({ ...graph, nodes: [...graph.nodes].reverse() });
    expect(sorted.nodes[0]!.inputs[0]).toBe("x");
    expect(sorted.nodes.at(-1)!.outputs[0]).toBe(value);
  });
});
