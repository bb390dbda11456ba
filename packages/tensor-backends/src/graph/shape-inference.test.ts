import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createOnnxruntimeNodeRuntime } from "../runtime/onnxruntime-node.ts";
import type { RuntimeSession } from "../runtime/types.ts";
import { f } from "./attributes.ts";
import { createGraphBuilder } from "./builder.ts";
import { decodeModel } from "./codec.ts";
import { decodeTensor } from "./codec-tensor.ts";
import { exposeTensors } from "./passes/expose-tensors.ts";
import { broadcastShapes, divideDims, reshapeDims, sliceDim } from "./shape-inference/dims.ts";
import { inferGraphTypes, inferModelTypes } from "./shape-inference.ts";
import type { Dim, OnnxModel } from "./types.ts";

const D = 16;
const HEADS = 2;

function randomWeights(count: number, seed: number): Float32Array {
  // A small LCG: deterministic weights without a dependency.
  let state = seed;
  return Float32Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state / 2 ** 31 - 0.5) * 0.5;
  });
}

/** A pre-norm attention + MLP block over x[batch, seq, D], exported the way torch does (Shape chains). */
function transformerBlock(): { model: OnnxModel; names: Record<string, string> } {
  const g = createGraphBuilder("block");
  const x = g.input("x", "float32", ["batch", "seq", D]);
  const mask = g.input("mask", "float32", ["seq", "seq"]);
  const weight = (rows: number, cols: number, seed: number) =>
    g.initializer(randomWeights(rows * cols, seed), [rows, cols]);
  const gamma = g.initializer(new Float32Array(D).fill(1));
  const beta = g.initializer(new Float32Array(D));
  const [normed] = g.node("LayerNormalization", [x, gamma, beta], { axis: -1, epsilon: f(1e-5) });
  const project = (input: string, seed: number) => g.node("MatMul", [input, weight(D, D, seed)])[0]!;
  const headShape = g.initializer([0n, 0n, BigInt(HEADS), BigInt(D / HEADS)], [4]);
  const heads = (input: string, perm: number[]) =>
    g.node("Transpose", [g.node("Reshape", [input, headShape])[0]!], { perm })[0]!;
  const q = heads(project(normed!, 1), [0, 2, 1, 3]);
  const k = heads(project(normed!, 2), [0, 2, 3, 1]);
  const v = heads(project(normed!, 3), [0, 2, 1, 3]);
  const [scores] = g.node("MatMul", [q, k]);
  const [scaled] = g.node("Div", [scores!, g.constant(Float32Array.of(Math.sqrt(D / HEADS)), [])]);
  const [masked] = g.node("Add", [scaled!, mask]);
  const [probs] = g.node("Softmax", [masked!], { axis: -1 });
  const [context] = g.node("MatMul", [probs!, v]);
  const [merged] = g.node("Transpose", [context!], { perm: [0, 2, 1, 3] });
  // Shape(x)[0:2] ++ [D] as the Reshape target: symbolic dims must survive the chain.
  const [shape] = g.node("Shape", [x]);
  const [batchSeq] = g.node("Gather", [shape!, g.constant([0n, 1n], [2])], { axis: 0 });
  const [target] = g.node("Concat", [batchSeq!, g.constant([BigInt(D)], [1])], { axis: 0 });
  const [flat] = g.node("Reshape", [merged!, target!]);
  const [attended] = g.node("Add", [x, g.node("MatMul", [flat!, weight(D, D, 4)])[0]!]);
  const [up] = g.node("MatMul", [attended!, weight(D, 4 * D, 5)]);
  const [act] = g.node("Gelu", [up!], { approximate: "tanh" });
  const [down] = g.node("MatMul", [act!, weight(4 * D, D, 6)]);
  const [out] = g.node("Add", [attended!, down!]);
  const [last] = g.node("Slice", [
    out!,
    g.constant([-1n], [1]),
    g.constant([2n ** 40n], [1]),
    g.constant([1n], [1]),
  ]);
  const [pooled] = g.node("ReduceMean", [out!, g.constant([1n], [1])], { keepdims: 0 });
  const [first] = g.node("Gather", [out!, g.constant([0n], [])], { axis: 1 });
  const [halves0, halves1] = g.node("Split", [pooled!], { axis: -1, num_outputs: 2 }, { outputs: 2 });
  const [stacked] = g.node(
    "Concat",
    [
      g.node("Unsqueeze", [halves0!, g.constant([1n], [1])])[0]!,
      g.node("Unsqueeze", [halves1!, g.constant([1n], [1])])[0]!,
    ],
    { axis: 1 },
  );
  const [logits] = g.node("Cast", [g.node("Flatten", [stacked!], { axis: 1 })[0]!], { to: 11 });
  const [best] = g.node("ArgMax", [logits!], { axis: -1, keepdims: 0 });
  g.output(out!);
  g.output(best!);
  const names = {
    normed,
    q,
    k,
    scores,
    probs,
    merged,
    shape,
    target,
    flat,
    act,
    out,
    last,
    pooled,
    first,
    halves0,
    stacked,
    logits,
    best,
  };
  return { model: g.build(), names: names as Record<string, string> };
}

describe("shape inference on a transformer-like block", () => {
  const { model, names } = transformerBlock();
  const types = inferModelTypes(model);
  const shapeOf = (key: string) => types.get(names[key]!)?.shape;

  it("keeps symbolic batch and seq dims through attention, Shape chains and the MLP", () => {
    expect(shapeOf("normed")).toEqual(["batch", "seq", D]);
    expect(shapeOf("q")).toEqual(["batch", HEADS, "seq", D / HEADS]);
    expect(shapeOf("k")).toEqual(["batch", HEADS, D / HEADS, "seq"]);
    expect(shapeOf("scores")).toEqual(["batch", HEADS, "seq", "seq"]);
    expect(shapeOf("probs")).toEqual(["batch", HEADS, "seq", "seq"]);
    expect(shapeOf("merged")).toEqual(["batch", "seq", HEADS, D / HEADS]);
    expect(shapeOf("shape")).toEqual([3]);
    expect(shapeOf("target")).toEqual([3]);
    expect(shapeOf("flat")).toEqual(["batch", "seq", D]);
    expect(shapeOf("act")).toEqual(["batch", "seq", 4 * D]);
    expect(shapeOf("out")).toEqual(["batch", "seq", D]);
    expect(shapeOf("last")).toEqual(["batch", 1, D]);
    expect(shapeOf("pooled")).toEqual(["batch", D]);
    expect(shapeOf("first")).toEqual(["batch", D]);
    expect(shapeOf("halves0")).toEqual(["batch", D / 2]);
    expect(shapeOf("stacked")).toEqual(["batch", 2, D / 2]);
    expect(shapeOf("logits")).toEqual(["batch", D]);
    expect(types.get(names["logits"]!)?.dataType).toBe("float64");
    expect(types.get(names["best"]!)).toEqual({ dataType: "int64", shape: ["batch"] });
    expect(model.graph.outputs.map((o) => o.shape)).toEqual([["batch", "seq", D], ["batch"]]);
  });

  const sessions: RuntimeSession[] = [];
  afterAll(async () => Promise.all(sessions.map((s) => s.dispose())));

  it("matches the shapes onnxruntime computes for batch=2, seq=5, for every intermediate value", async () => {
    const valueNames = model.graph.nodes.flatMap((node) => node.outputs);
    const exposed = { ...model, graph: exposeTensors(model.graph, valueNames) };
    const session = await createOnnxruntimeNodeRuntime().createSession(exposed);
    sessions.push(session);
    const outputs = await session.run({
      x: { dataType: "float32", dims: [2, 5, D], data: randomWeights(2 * 5 * D, 7) },
      mask: { dataType: "float32", dims: [5, 5], data: new Float32Array(25) },
    });
    const substitute = (shape: Dim[]) => shape.map((dim) => (dim === "batch" ? 2 : dim === "seq" ? 5 : dim));
    let checked = 0;
    for (const name of valueNames) {
      const inferred = types.get(name);
      expect(inferred, name).toBeDefined();
      expect(outputs[name]!.dataType, name).toBe(inferred!.dataType);
      expect(substitute(inferred!.shape!), name).toEqual(outputs[name]!.dims);
      checked++;
    }
    expect(checked).toBe(valueNames.length);
    expect(checked).toBeGreaterThan(40);
  });

  it("leaves unknown operators unknown instead of throwing", () => {
    const g = createGraphBuilder();
    const x = g.input("x", "float32", ["n", 3]);
    const [y] = g.node("MysteryOp", [x], {}, { domain: "custom.domain" });
    const [z] = g.node("Relu", [y!]);
    const types = inferGraphTypes(g.graph());
    expect(types.get(y!)).toBeUndefined();
    expect(types.get(z!)).toBeUndefined();
    expect(types.get(x)).toEqual({ dataType: "float32", shape: ["n", 3] });
  });
});

describe("dim arithmetic", () => {
  it("broadcasts numbers, ones and symbols", () => {
    expect(
      broadcastShapes([
        ["batch", 1, 4],
        [3, 1],
      ]),
    ).toEqual(["batch", 3, 4]);
    expect(
      broadcastShapes([
        ["a", 4],
        ["b", 4],
      ]),
    ).toEqual([null, 4]);
    expect(
      broadcastShapes([
        [null, 4],
        [7, 1],
      ]),
    ).toEqual([7, 4]);
    expect(broadcastShapes([["n"], undefined])).toBeUndefined();
  });

  it("solves Reshape's -1 symbolically and copies 0", () => {
    // Merged axes become product symbols, and splitting them again gives the symbol back.
    expect(reshapeDims(["batch", "seq", 64], [0, -1, 16], false)).toEqual(["batch", "4*seq", 16]);
    expect(reshapeDims(["batch", "4*seq", 16], [0, 4, -1, 16], false)).toEqual(["batch", 4, "seq", 16]);
    expect(reshapeDims(["batch", "seq", 64], [-1, 64], false)).toEqual(["batch*seq", 64]);
    expect(reshapeDims(["batch*seq", 64], ["batch", -1, 64], false)).toEqual(["batch", "seq", 64]);
    expect(reshapeDims([null, "seq", 64], [-1, 64], false)).toEqual([null, 64]);
    expect(reshapeDims(["batch", "seq", 64], [0, 0, 4, -1], false)).toEqual(["batch", "seq", 4, 16]);
    expect(reshapeDims(["batch", 8, 4], ["batch", -1], false)).toEqual(["batch", 32]);
    expect(reshapeDims([2, 3, 4], [0, 12], true)).toEqual([0, 12]);
    expect(divideDims(["seq", 12], [3])).toBe("4*seq");
    expect(divideDims(["seq", 12], [5])).toBe(null);
    expect(divideDims(["seq", 12], ["batch"])).toBe(null);
    expect(divideDims(["seq", 12], [12])).toBe("seq");
  });

  it("slices numeric dims like numpy and keeps safe symbolic cases", () => {
    expect(sliceDim(10, 2, 7, 1)).toBe(5);
    expect(sliceDim(10, -3, 2 ** 40, 1)).toBe(3);
    expect(sliceDim(10, 9, -11, -2)).toBe(5);
    expect(sliceDim(10, 0, 10, 3)).toBe(4);
    expect(sliceDim("seq", 0, 2 ** 40, 1)).toBe("seq");
    expect(sliceDim("seq", -1, 2 ** 40, 1)).toBe(1);
    expect(sliceDim("seq", 1, 4, 1)).toBe(null);
  });
});

describe("shape inference for what exported language models carry", () => {
  it("slices a table to a symbolic length, and keeps a symbol against an unknown dim unknown", () => {
    const g = createGraphBuilder();
    const x = g.input("x", "float32", ["batch", "seq", 8]);
    const [length] = g.node("Slice", [
      g.node("Shape", [x])[0]!,
      g.constant([1n], [1]),
      g.constant([2n], [1]),
    ]);
    const table = g.initializer(new Float32Array(16 * 8), [16, 8]);
    const [rows] = g.node("Slice", [table, g.constant([0n], [1]), length!, g.constant([0n], [1])]);
    const [unknown] = g.node("Slice", [table, length!, g.constant([16n], [1]), g.constant([0n], [1])]);
    const types = inferGraphTypes(g.graph());
    expect(types.get(rows!)?.shape).toEqual(["seq", 8]);
    expect(types.get(unknown!)?.shape).toEqual([null, 8]);
    // "batch" may be 1 at run time, and then the unknown side sets the size; a number other than 1 is certain.
    expect(
      broadcastShapes([
        ["batch", 4],
        [null, 4],
      ]),
    ).toEqual([null, 4]);
    expect(
      broadcastShapes([
        [5, 4],
        [null, 1],
      ]),
    ).toEqual([5, 4]);
  });

  it("infers Einsum, OneHot and DequantizeLinear", () => {
    const g = createGraphBuilder();
    const a = g.input("a", "float32", ["b", 2, 3]);
    const b = g.input("b", "float32", ["b", 3, 4]);
    const c = g.input("c", "float32", ["b", "s", 2, 3]);
    const [batched] = g.node("Einsum", [a, b], { equation: "bij,bjk->bik" });
    const [ellipsis] = g.node("Einsum", [c, g.initializer(new Float32Array(15), [3, 5])], {
      equation: "...ij,jk->...ik",
    });
    const indices = g.input("indices", "int64", ["n"]);
    const [hot] = g.node("OneHot", [indices, g.constant([10n], []), g.initializer(new Float32Array(2), [2])]);
    const q = g.input("q", "int8", [4, 6]);
    const [real] = g.node("DequantizeLinear", [q, g.initializer(new Float32Array([0.5]), [])]);
    const types = inferGraphTypes(g.graph());
    expect(types.get(batched!)).toEqual({ dataType: "float32", shape: ["b", 2, 4] });
    expect(types.get(ellipsis!)).toEqual({ dataType: "float32", shape: ["b", "s", 2, 5] });
    expect(types.get(hot!)).toEqual({ dataType: "float32", shape: ["n", 10] });
    expect(types.get(real!)).toEqual({ dataType: "float32", shape: [4, 6] });
  });

  it("infers the contrib MatMulNBits, GatherBlockQuantized and GroupQueryAttention", () => {
    const g = createGraphBuilder();
    const hidden = g.input("hidden", "float16", ["b", "s", 64]);
    const weights = g.initializer(new Uint8Array(32 * 2 * 16), [32, 2, 16]);
    const scales = g.initializer(new Uint16Array(64), [64], { dataType: "float16" });
    const ms = "com.microsoft";
    const [projected] = g.node("MatMulNBits", [hidden, weights, scales], { K: 64, N: 32 }, { domain: ms });
    const ids = g.input("ids", "int64", ["b", "s"]);
    const table = g.initializer(new Uint8Array(100 * 32), [100, 32]);
    const [embedded] = g.node("GatherBlockQuantized", [table, ids, scales], {}, { domain: ms });
    const packed = g.input("packed", "float16", ["b", "s", (4 + 2 * 2) * 8]);
    const seqlens = g.input("seqlens_k", "int32", ["b"]);
    const total = g.input("total", "int32", []);
    const [attended, presentKey] = g.node(
      "GroupQueryAttention",
      [packed, "", "", "", "", seqlens, total],
      { num_heads: 4, kv_num_heads: 2 },
      { domain: ms, outputs: 3 },
    );
    const types = inferGraphTypes(g.graph());
    expect(types.get(projected!)).toEqual({ dataType: "float16", shape: ["b", "s", 32] });
    expect(types.get(embedded!)).toEqual({ dataType: "float16", shape: ["b", "s", null] });
    expect(types.get(attended!)).toEqual({ dataType: "float16", shape: ["b", "s", 32] });
    expect(types.get(presentKey!)).toEqual({ dataType: "float16", shape: ["b", 2, null, 8] });
  });
});

const NODE_TESTS = join(process.env["ONNX_TESTDATA_DIR"] ?? "/usr/share/libonnx-testdata/data", "node");
const hasTestdata = existsSync(NODE_TESTS);

// ONNX's bfloat16 cast tests store their expected outputs as uint16 tensors.
const STORED_AS_UINT16 = new Set([
  "test_cast_FLOAT_to_BFLOAT16",
  "test_castlike_FLOAT_to_BFLOAT16",
  "test_castlike_FLOAT_to_BFLOAT16_expanded",
]);

describe.skipIf(!hasTestdata)("shape inference over every ONNX node test model", () => {
  it("never throws, and every fully known output shape and dtype equals the expected output's", () => {
    let shapesChecked = 0;
    const mismatches: string[] = [];
    for (const name of readdirSync(NODE_TESTS)) {
      if (STORED_AS_UINT16.has(name)) continue;
      const model = decodeModel(readFileSync(join(NODE_TESTS, name, "model.onnx")));
      // Forget every declared type but the inputs', so only inference speaks.
      const graph = {
        ...model.graph,
        outputs: model.graph.outputs.map((o) => ({ ...o, shape: undefined })),
        valueInfo: [],
      };
      const types = inferModelTypes({ ...model, graph });
      model.graph.outputs.forEach((output, index) => {
        const file = join(NODE_TESTS, name, "test_data_set_0", `output_${index}.pb`);
        const inferred = types.get(output.name);
        if (output.container !== undefined || inferred === undefined || !existsSync(file)) return;
        const expected = decodeTensor(readFileSync(file));
        if (inferred.dataType !== expected.dataType)
          mismatches.push(`${name}: ${inferred.dataType} ≠ ${expected.dataType}`);
        if (inferred.shape?.every((dim) => typeof dim === "number")) {
          shapesChecked++;
          if (inferred.shape.join() !== expected.dims.join())
            mismatches.push(`${name}: [${inferred.shape}] ≠ [${expected.dims}]`);
        }
      });
    }
    expect(mismatches).toEqual([]);
    expect(shapesChecked).toBeGreaterThan(500);
  });
});
