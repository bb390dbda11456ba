import { describe, expect, it } from "vitest";
import { createOnnxruntimeNodeRuntime } from "../../runtime/onnxruntime-node.ts";
import { createGraphBuilder } from "../builder.ts";
import { removeDeadNodes } from "./remove-dead-nodes.ts";

describe("removeDeadNodes", () => {
  it("drops nodes and initializers no output needs, keeps inputs, and still runs", async () => {
    const g = createGraphBuilder("dead");
    const x = g.input("x", "float32", [2]);
    const unusedInput = g.input("unused", "float32", [2]);
    const scale = g.initializer(Float32Array.of(3, 4), [2], { name: "scale" });
    const junkWeight = g.initializer(new Float32Array(1000), [1000], { name: "junk" });
    const [y] = g.node("Mul", [x, scale], {}, { name: "live_mul" });
    g.node("Add", [junkWeight, junkWeight], {}, { name: "dead_add" });
    g.node("Exp", [unusedInput], {}, { name: "dead_exp" });
    g.valueInfo("dead_add_out0", "float32", [1000]);
    g.output(y!, "float32", [2]);
    const model = g.build();
    const pruned = removeDeadNodes(model.graph);
    expect(pruned.nodes.map((n) => n.name)).toEqual(["live_mul"]);
    expect(pruned.initializers.map((t) => t.name)).toEqual(["scale"]);
    expect(pruned.inputs.map((i) => i.name)).toEqual(["x", "unused"]);
    expect(pruned.valueInfo).toEqual([]);
    const session = await createOnnxruntimeNodeRuntime().createSession({ ...model, graph: pruned });
    const out = await session.run({
      x: { dataType: "float32", dims: [2], data: Float32Array.of(1, 2) },
      unused: { dataType: "float32", dims: [2], data: Float32Array.of(0, 0) },
    });
    await session.dispose();
    expect(Array.from(out[y!]!.data as Float32Array)).toEqual([3, 8]);
  });

  it("keeps the producers of values that live subgraphs read from the outer scope", () => {
    const g = createGraphBuilder("outer");
    const cond = g.input("cond", "bool", []);
    const x = g.input("x", "float32", [1]);
    const [hidden] = g.node("Exp", [x], {}, { name: "read_by_branch" });
    const branch = g.subgraph("then");
    const [negated] = branch.node("Neg", [hidden!]);
    branch.output(negated!, "float32", [1]);
    const other = g.subgraph("else");
    const [copied] = other.node("Identity", [x]);
    other.output(copied!, "float32", [1]);
    const [out] = g.node(
      "If",
      [cond],
      { then_branch: branch.graph(), else_branch: other.graph() },
      { name: "if" },
    );
    g.output(out!, "float32", [1]);
    expect(removeDeadNodes(g.graph()).nodes.map((n) => n.name)).toEqual(["read_by_branch", "if"]);
  });
});
