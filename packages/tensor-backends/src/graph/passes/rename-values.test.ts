import { describe, expect, it } from "vitest";
import { isTensorBackendError } from "../../errors.ts";
import { createOnnxruntimeNodeRuntime } from "../../runtime/onnxruntime-node.ts";
import { createGraphBuilder } from "../builder.ts";
import { renameValues } from "./rename-values.ts";

describe("renameValues", () => {
  function model() {
    const g = createGraphBuilder("names");
    const x = g.input("x", "float32", [2]);
    const w = g.initializer(Float32Array.of(2, 3), [2], { name: "w" });
    const cond = g.input("cond", "bool", []);
    const [scaled] = g.node("Mul", [x, w], {}, { outputs: ["scaled"] });
    const thenBranch = g.subgraph("then");
    const [neg] = thenBranch.node("Neg", [scaled!]);
    thenBranch.output(neg!, "float32", [2]);
    const elseBranch = g.subgraph("else");
    const [same] = elseBranch.node("Identity", [scaled!]);
    elseBranch.output(same!, "float32", [2]);
    const [out] = g.node(
      "If",
      [cond],
      { then_branch: thenBranch.graph(), else_branch: elseBranch.graph() },
      { outputs: ["out"] },
    );
    g.output(out!, "float32", [2]);
    return g.build();
  }

  it("renames inputs, initializers, node values, outputs and subgraph reads; the model still runs", async () => {
    const built = model();
    const graph = renameValues(built.graph, { x: "tokens", w: "weight", scaled: "hidden", out: "result" });
    expect(graph.inputs.map((i) => i.name)).toEqual(["tokens", "cond"]);
    expect(graph.initializers[0]!.name).toBe("weight");
    expect(graph.nodes[0]!.inputs).toEqual(["tokens", "weight"]);
    expect(graph.outputs[0]!.name).toBe("result");
    const branch = graph.nodes[1]!.attributes["then_branch"];
    expect(branch?.type === "graph" && branch.value.nodes[0]!.inputs).toEqual(["hidden"]);
    const session = await createOnnxruntimeNodeRuntime().createSession({ ...built, graph });
    const out = await session.run({
      tokens: { dataType: "float32", dims: [2], data: Float32Array.of(1, 1) },
      cond: { dataType: "bool", dims: [], data: Uint8Array.of(1) },
    });
    await session.dispose();
    expect(Array.from(out["result"]!.data as Float32Array)).toEqual([-2, -3]);
  });

  it("refuses a new name that is already taken", () => {
    try {
      renameValues(model().graph, { x: "w" });
      expect.unreachable();
    } catch (error) {
      expect(isTensorBackendError(error, "INVALID_ARGUMENT")).toBe(true);
    }
    // Swapping two names is fine: both are renamed.
    expect(renameValues(model().graph, { x: "w", w: "x" }).inputs[0]!.name).toBe("w");
  });
});
