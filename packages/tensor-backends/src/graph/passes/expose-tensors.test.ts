import { describe, expect, it } from "vitest";
import { isTensorBackendError } from "../../errors.ts";
import { createOnnxruntimeNodeRuntime } from "../../runtime/onnxruntime-node.ts";
import { createGraphBuilder } from "../builder.ts";
import { exposeTensors } from "./expose-tensors.ts";

describe("exposeTensors", () => {
  function model() {
    const g = createGraphBuilder("expose");
    const x = g.input("x", "float32", ["n", 2]);
    const [squared] = g.node("Mul", [x, x], {}, { outputs: ["squared"] });
    const [summed] = g.node(
      "ReduceSum",
      [squared!, g.constant([1n], [1])],
      { keepdims: 0 },
      { outputs: ["summed"] },
    );
    const [mask] = g.node(
      "Greater",
      [summed!, g.constant(Float32Array.of(4), [])],
      {},
      { outputs: ["mask"] },
    );
    g.output(g.node("Sqrt", [summed!])[0]!);
    return { built: g.build(), squared: squared!, summed: summed!, mask: mask! };
  }

  it("adds intermediate values as outputs with inferred dtype and shape, and the runtime returns them", async () => {
    const { built, squared, summed, mask } = model();
    const graph = exposeTensors(built.graph, [squared, mask, summed]);
    expect(graph.outputs.slice(1)).toEqual([
      { name: "squared", dataType: "float32", shape: ["n", 2] },
      { name: "mask", dataType: "bool", shape: ["n"] },
      { name: "summed", dataType: "float32", shape: ["n"] },
    ]);
    const session = await createOnnxruntimeNodeRuntime().createSession({ ...built, graph });
    const out = await session.run({
      x: { dataType: "float32", dims: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
    });
    await session.dispose();
    expect(Array.from(out["squared"]!.data as Float32Array)).toEqual([1, 4, 9, 16]);
    expect(Array.from(out["summed"]!.data as Float32Array)).toEqual([5, 25]);
    expect(Array.from(out["mask"]!.data as Uint8Array)).toEqual([1, 1]);
    expect(out["mask"]!.dataType).toBe("bool");
  });

  it("does not duplicate an existing output and rejects unknown names", () => {
    const { built } = model();
    const name = built.graph.outputs[0]!.name;
    expect(exposeTensors(built.graph, [name]).outputs).toHaveLength(1);
    try {
      exposeTensors(built.graph, ["nope"]);
      expect.unreachable();
    } catch (error) {
      expect(isTensorBackendError(error, "INVALID_ARGUMENT")).toBe(true);
    }
  });
});
