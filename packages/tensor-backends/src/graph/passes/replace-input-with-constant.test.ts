import { describe, expect, it } from "vitest";
import { isTensorBackendError } from "../../errors.ts";
import { createOnnxruntimeNodeRuntime } from "../../runtime/onnxruntime-node.ts";
import { createGraphBuilder } from "../builder.ts";
import { makeTensor } from "../tensor.ts";
import { replaceInputWithConstant } from "./replace-input-with-constant.ts";

describe("replaceInputWithConstant", () => {
  function model() {
    const g = createGraphBuilder("freeze");
    const x = g.input("x", "float32", ["n", 3]);
    const bias = g.input("bias", "float32", [3]);
    const [y] = g.node("Add", [x, bias]);
    g.output(y!, "float32", ["n", 3]);
    return { built: g.build(), y: y! };
  }

  it("turns the input into an initializer the runtime uses", async () => {
    const { built, y } = model();
    const graph = replaceInputWithConstant(built.graph, "bias", makeTensor(Float32Array.of(10, 20, 30), [3]));
    expect(graph.inputs.map((i) => i.name)).toEqual(["x"]);
    const session = await createOnnxruntimeNodeRuntime().createSession({ ...built, graph });
    expect(session.inputNames).toEqual(["x"]);
    const out = await session.run({
      x: { dataType: "float32", dims: [1, 3], data: Float32Array.of(1, 2, 3) },
    });
    await session.dispose();
    expect(Array.from(out[y]!.data as Float32Array)).toEqual([11, 22, 33]);
  });

  it("rejects a missing input, a wrong dtype and a wrong shape with typed errors", () => {
    const { built } = model();
    const attempt = (name: string, tensor: ReturnType<typeof makeTensor>) => {
      try {
        replaceInputWithConstant(built.graph, name, tensor);
      } catch (error) {
        return isTensorBackendError(error) ? error.code : "other";
      }
      return "none";
    };
    expect(attempt("missing", makeTensor(Float32Array.of(1, 2, 3)))).toBe("INVALID_ARGUMENT");
    expect(attempt("bias", makeTensor(Float64Array.of(1, 2, 3)))).toBe("DTYPE_MISMATCH");
    expect(attempt("bias", makeTensor(Float32Array.of(1, 2, 3, 4)))).toBe("SHAPE_MISMATCH");
  });
});
