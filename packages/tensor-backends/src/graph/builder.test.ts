import { describe, expect, it } from "vitest";
import { isTensorBackendError } from "../errors.ts";
import { createOnnxruntimeNodeRuntime } from "../runtime/onnxruntime-node.ts";
import { f, toAttribute } from "./attributes.ts";
import { createGraphBuilder, DEFAULT_IR_VERSION } from "./builder.ts";
import { makeTensor, scalarTensor } from "./tensor.ts";

describe("createGraphBuilder", () => {
  it("generates unique names, shared with subgraph builders", () => {
    const g = createGraphBuilder("names");
    const x = g.input("x", "float32", [2]);
    const [a] = g.node("Relu", [x]);
    const [b] = g.node("Relu", [a!]);
    const sub = g.subgraph("body");
    const [c] = sub.node("Relu", [b!]);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(g.graph().nodes.map((n) => n.name)).toEqual(["Relu", "Relu_1"]);
    expect(sub.graph().nodes[0]!.name).toBe("Relu_2");
    expect(g.uniqueName("x")).toBe("x_1");
    expect(() => g.input("x", "float32")).toThrow(/already used/);
  });

  it("converts plain attribute values: integers to INT, f() and fractions to FLOAT, lists, strings, tensors", () => {
    expect(toAttribute("a", 3)).toEqual({ type: "int", value: 3 });
    expect(toAttribute("a", 0.5)).toEqual({ type: "float", value: 0.5 });
    expect(toAttribute("a", f(1))).toEqual({ type: "float", value: 1 });
    expect(toAttribute("a", f([1, 2]))).toEqual({ type: "floats", value: [1, 2] });
    expect(toAttribute("a", [1, 2])).toEqual({ type: "ints", value: [1, 2] });
    expect(toAttribute("a", [1, 2.5])).toEqual({ type: "floats", value: [1, 2.5] });
    expect(toAttribute("a", ["x", "y"])).toEqual({ type: "strings", value: ["x", "y"] });
    expect(toAttribute("a", "tanh")).toEqual({ type: "string", value: "tanh" });
    expect(toAttribute("a", true)).toEqual({ type: "int", value: 1 });
    const tensor = scalarTensor(2, "float32");
    expect(toAttribute("a", tensor)).toEqual({ type: "tensor", value: tensor });
    expect(() => toAttribute("a", [1, "x"] as unknown as number[])).toThrow(/mixes/);
  });

  it("makes tensors from typed arrays without copying, and from plain values by dtype", () => {
    const data = Float32Array.of(1, 2, 3, 4);
    expect(makeTensor(data, [2, 2]).data).toBe(data);
    expect(makeTensor([1, 2], [2], "int64").data).toEqual(BigInt64Array.of(1n, 2n));
    expect(makeTensor([true, false]).data).toEqual(Uint8Array.of(1, 0));
    expect(makeTensor([true, false]).dataType).toBe("bool");
    expect(makeTensor(Uint16Array.of(0x3c00), [1], "float16").dataType).toBe("float16");
    try {
      makeTensor(data, [3]);
      expect.unreachable();
    } catch (error) {
      expect(isTensorBackendError(error, "SHAPE_MISMATCH")).toBe(true);
    }
  });

  it("builds a model with default opsets (21, com.microsoft 1 when used) that onnxruntime-node runs", async () => {
    const g = createGraphBuilder("gelu");
    const x = g.input("x", "float32", ["n", 4]);
    const [h] = g.node("FastGelu", [x], {}, { domain: "com.microsoft" });
    const [y] = g.node("LeakyRelu", [h!], { alpha: f(0.5) });
    const [z] = g.node("Mul", [y!, g.constant(Float32Array.of(2), [])]);
    g.output(z!);
    const model = g.build();
    expect(model.irVersion).toBe(DEFAULT_IR_VERSION);
    expect(model.opsetImports).toEqual([
      { domain: "", version: 21 },
      { domain: "com.microsoft", version: 1 },
    ]);
    expect(model.graph.outputs).toEqual([{ name: z, dataType: "float32", shape: ["n", 4] }]);
    const session = await createOnnxruntimeNodeRuntime().createSession(model);
    const out = await session.run({
      x: { dataType: "float32", dims: [1, 4], data: Float32Array.of(0, 1, -1, 3) },
    });
    await session.dispose();
    // FastGelu (tanh approximation) then LeakyRelu(0.5), times 2; reference from the formula.
    const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    const expected = [0, 1, -1, 3].map((v) => 2 * (gelu(v) >= 0 ? gelu(v) : 0.5 * gelu(v)));
    for (const [i, value] of Array.from(out[z!]!.data as Float32Array).entries()) {
      expect(value).toBeCloseTo(expected[i]!, 5);
    }
  });

  it("honours explicit opsets and asks for versions of unknown domains", () => {
    const g = createGraphBuilder();
    const x = g.input("x", "float32", [1]);
    g.output(g.node("Custom", [x], {}, { domain: "my.ops" })[0]!, "float32", [1]);
    expect(() => g.build()).toThrow(/no opset version given for domain 'my.ops'/);
    expect(g.build({ "": 18, "my.ops": 2 }).opsetImports).toEqual([
      { domain: "", version: 18 },
      { domain: "my.ops", version: 2 },
    ]);
  });

  it("refuses an output whose type cannot be inferred", () => {
    const g = createGraphBuilder();
    const x = g.input("x", "float32", [1]);
    g.output(g.node("Custom", [x], {}, { domain: "my.ops" })[0]!);
    expect(() => g.graph()).toThrow(/cannot infer the type of graph output/);
  });
});
