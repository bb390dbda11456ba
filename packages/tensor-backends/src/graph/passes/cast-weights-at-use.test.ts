import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createOnnxruntimeNodeRuntime } from "../../runtime/onnxruntime-node.ts";
import type { RuntimeTensor } from "../../runtime/types.ts";
import { createGraphBuilder } from "../builder.ts";
import { ONNX_DATA_TYPE } from "../dtypes.ts";
import type { Graph, OnnxModel } from "../types.ts";
import { castWeightsAtUse } from "./cast-weights-at-use.ts";

type Half = "float16" | "bfloat16";

/** Bit patterns of small multiples of 1/8, exact in both 16-bit types. */
function halfBits(type: Half, values: readonly number[]): Uint16Array {
  const f32 = new Uint32Array(Float32Array.from(values).buffer);
  if (type === "bfloat16") return Uint16Array.from(f32, (bits) => bits >>> 16);
  // fp16 of a value k/8 with |k| < 64: sign, exponent rebiased from 127 to 15, mantissa's top 10 bits.
  return Uint16Array.from(f32, (bits) => {
    if ((bits & 0x7fffffff) === 0) return (bits >>> 16) & 0x8000;
    const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
    return ((bits >>> 16) & 0x8000) | (exponent << 10) | ((bits >>> 13) & 0x3ff);
  });
}

const eighths = (count: number, seed: number) =>
  Array.from({ length: count }, (_, i) => (((i * 7 + seed * 3) % 17) - 8) / 8);

/**
 * x·W, dy·Wᵀ (Gemm transB, as a backward pass reads W), a gathered embedding row, and W scaled by a
 * constant: four readers of two widened 16-bit initializers.
 */
function model(type: Half): { model: OnnxModel; w: number[]; table: number[] } {
  const w = eighths(12, 1);
  const table = eighths(20, 2);
  const g = createGraphBuilder("widened");
  const x = g.input("x", "float32", ["rows", 4]);
  const dy = g.input("dy", "float32", ["rows", 3]);
  const ids = g.input("ids", "int64", ["n"]);
  const w16 = g.initializer(halfBits(type, w), [4, 3], { name: "w", dataType: type });
  const table16 = g.initializer(halfBits(type, table), [5, 4], { name: "table", dataType: type });
  const [wide] = g.node("Cast", [w16], { to: ONNX_DATA_TYPE.float32 }, { name: "cast_w" });
  const [wideTable] = g.node("Cast", [table16], { to: ONNX_DATA_TYPE.float32 }, { name: "cast_table" });
  const [y] = g.node("MatMul", [x, wide!], {}, { name: "forward" });
  const [dx] = g.node("Gemm", [dy, wide!], { transB: 1 }, { name: "backward" });
  const [rows] = g.node("Gather", [wideTable!, ids], { axis: 0 }, { name: "embed" });
  const [scaled] = g.node(
    "Mul",
    [wide!, g.initializer(Float32Array.of(2), [], { name: "two" })],
    {},
    {
      name: "scale",
    },
  );
  for (const output of [y!, dx!, rows!, scaled!]) g.output(output);
  return { model: g.build(), w, table };
}

/** Row-major product of [n, k] and [k, m]. */
function product(a: readonly number[], b: readonly number[], n: number, k: number, m: number): number[] {
  return Array.from({ length: n * m }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += a[Math.floor(i / m) * k + j]! * b[j * m + (i % m)]!;
    return sum;
  });
}

const producerOf = (graph: Graph, value: string) => graph.nodes.find((node) => node.outputs.includes(value));

describe.each(["float16", "bfloat16"] as const)("castWeightsAtUse (%s)", (type) => {
  it("gives each reader its own cast, anchored on the reader's operand, and changes no value", async () => {
    const { model: built, w, table } = model(type);
    const graph = castWeightsAtUse(built.graph);
    const byName = (name: string) => graph.nodes.find((node) => node.name === name)!;

    // The two products read different casts, each made from `w` through a Reshape whose shape is
    // computed from the product's own operand (x, dy).
    const forwardW = byName("forward").inputs[1]!;
    const backwardW = byName("backward").inputs[1]!;
    expect(forwardW).not.toBe(backwardW);
    for (const [widened, anchor] of [
      [forwardW, "x"],
      [backwardW, "dy"],
    ] as const) {
      const cast = producerOf(graph, widened)!;
      const reshape = producerOf(graph, cast.inputs[0]!)!;
      expect([cast.opType, reshape.opType, reshape.inputs[0]]).toEqual(["Cast", "Reshape", "w"]);
      const add = producerOf(graph, reshape.inputs[1]!)!;
      const mul = producerOf(graph, add.inputs[1]!)!;
      expect(producerOf(graph, mul.inputs[0]!)).toMatchObject({ opType: "Shape", inputs: [anchor] });
    }
    // The table's rows are gathered in 16 bits and then cast; the whole table is never widened.
    const embedCast = producerOf(graph, built.graph.outputs[2]!.name)!;
    expect(embedCast.opType).toBe("Cast");
    expect(producerOf(graph, embedCast.inputs[0]!)).toMatchObject({
      opType: "Gather",
      inputs: ["table", "ids"],
    });
    expect(graph.nodes.some((node) => node.name === "cast_table")).toBe(false);
    // A reader with no operand to wait for keeps the original cast.
    expect(byName("scale").inputs[0]).toBe(byName("cast_w").outputs[0]);

    const feeds: Record<string, RuntimeTensor> = {
      x: { dataType: "float32", dims: [2, 4], data: Float32Array.from(eighths(8, 3)) },
      dy: { dataType: "float32", dims: [2, 3], data: Float32Array.from(eighths(6, 4)) },
      ids: { dataType: "int64", dims: [3], data: BigInt64Array.of(4n, 0n, 4n) },
    };
    const runtime = createOnnxruntimeNodeRuntime();
    const results = [];
    for (const candidate of [built, { ...built, graph }]) {
      const session = await runtime.createSession(candidate);
      results.push(await session.run(feeds));
      await session.dispose();
    }
    const [before, after] = results.map((outputs) =>
      built.graph.outputs.map((output) => Array.from(outputs![output.name]!.data as Float32Array)),
    );
    expect(after).toEqual(before);
    // And the values are the products of the 16-bit weights (exact: small multiples of 1/8).
    const wT = Array.from({ length: 12 }, (_, i) => w[(i % 4) * 3 + Math.floor(i / 4)]!);
    expect(after![0]).toEqual(product(eighths(8, 3), w, 2, 4, 3));
    expect(after![1]).toEqual(product(eighths(6, 4), wT, 2, 3, 4));
    expect(after![2]).toEqual([...table.slice(16, 20), ...table.slice(0, 4), ...table.slice(16, 20)]);
    expect(after![3]).toEqual(w.map((value) => 2 * value));
  });
});

describe("castWeightsAtUse by blocks", () => {
  it("multiplies a matrix over chunkBytes by blocks of its rows, with the same values", async () => {
    const { model: built, w } = model("bfloat16");
    // w is [4, 3]: 48 bytes widened, so blocks of 12 bytes are its 4 rows one by one (3 floats each).
    const graph = castWeightsAtUse(built.graph, { chunkBytes: 12 });
    const producer = (output: string) => producerOf(graph, output)!;
    // dy·wᵀ: one Gemm per block of w's rows, its columns concatenated; x·w: the contraction split, summed.
    const backward = producer(built.graph.outputs[1]!.name);
    expect(backward.opType).toBe("Concat");
    expect(backward.inputs.map((input) => producer(input).opType)).toEqual(["Gemm", "Gemm", "Gemm", "Gemm"]);
    const forward = producer(built.graph.outputs[0]!.name);
    expect(forward.opType).toBe("Sum");
    expect(forward.inputs).toHaveLength(4);
    // Each block is a view of the matrix, one row each; the whole matrix is still read by `scale`.
    const blocks = graph.initializers.filter(
      (tensor) => tensor.dataType === "bfloat16" && tensor.name !== "w" && tensor.name !== "table",
    );
    expect(blocks.map((tensor) => tensor.dims)).toEqual(Array(8).fill([1, 3]));
    const session = await createOnnxruntimeNodeRuntime().createSession({ ...built, graph });
    const outputs = await session.run({
      x: { dataType: "float32", dims: [2, 4], data: Float32Array.from(eighths(8, 3)) },
      dy: { dataType: "float32", dims: [2, 3], data: Float32Array.from(eighths(6, 4)) },
      ids: { dataType: "int64", dims: [1], data: BigInt64Array.of(1n) },
    });
    await session.dispose();
    const wT = Array.from({ length: 12 }, (_, i) => w[(i % 4) * 3 + Math.floor(i / 4)]!);
    expect(Array.from(outputs[built.graph.outputs[0]!.name]!.data as Float32Array)).toEqual(
      product(eighths(8, 3), w, 2, 4, 3),
    );
    expect(Array.from(outputs[built.graph.outputs[1]!.name]!.data as Float32Array)).toEqual(
      product(eighths(6, 4), wT, 2, 3, 4),
    );
  });
});

describe("castWeightsAtUse on int8 blocks (DequantizeLinear)", () => {
  /** Int8 matrices with a scale per block of 32 along a row ([4, 64]) and down a column ([64, 4]). */
  function quantized(): OnnxModel {
    const g = createGraphBuilder("blocks");
    const x = g.input("x", "float32", ["rows", 64]);
    const dy = g.input("dy", "float32", ["rows", 64]);
    const ids = g.input("ids", "int64", ["n"]);
    const values = (salt: number) => Int8Array.from({ length: 256 }, (_, i) => ((i * 5 + salt) % 15) - 7);
    const q = g.initializer(values(1), [4, 64], { name: "q", dataType: "int8" });
    const qScales = g.initializer(Float32Array.of(0.5, 1, 0.25, 2, 1, 0.5, 4, 0.125), [4, 2], { name: "qs" });
    const qT = g.initializer(values(2), [64, 4], { name: "qT", dataType: "int8" });
    const qTScales = g.initializer(Float32Array.of(0.5, 1, 0.25, 2, 1, 0.5, 4, 0.125), [2, 4], {
      name: "qTs",
    });
    const [w] = g.node("DequantizeLinear", [q, qScales], { axis: 1, block_size: 32 }, { name: "dq" });
    const [wT] = g.node("DequantizeLinear", [qT, qTScales], { axis: 0, block_size: 32 }, { name: "dqT" });
    g.output(g.node("Gemm", [dy, w!], { transB: 1 }, { name: "backward" })[0]!);
    g.output(g.node("MatMul", [x, wT!], {}, { name: "forward" })[0]!);
    g.output(g.node("Gather", [w!, ids], { axis: 0 }, { name: "embed" })[0]!);
    return g.build();
  }

  it.each([undefined, 256])(
    "dequantizes at each reader (blocks of %s bytes), with the same values",
    async (chunkBytes) => {
      const built = quantized();
      const graph = castWeightsAtUse(built.graph, chunkBytes === undefined ? {} : { chunkBytes });
      // No reader is left on the whole-graph dequantizations; the embedding gathers int8 rows and scales.
      expect(graph.nodes.some((node) => node.name === "dq" || node.name === "dqT")).toBe(false);
      const embed = producerOf(graph, built.graph.outputs[2]!.name)!;
      expect(embed).toMatchObject({ opType: "DequantizeLinear" });
      expect(embed.inputs.map((input) => producerOf(graph, input)?.opType)).toEqual(["Gather", "Gather"]);
      if (chunkBytes !== undefined) {
        expect(producerOf(graph, built.graph.outputs[0]!.name)!.opType).toBe("Concat");
        expect(producerOf(graph, built.graph.outputs[1]!.name)!.opType).toBe("Sum");
      }
      const feeds: Record<string, RuntimeTensor> = {
        x: { dataType: "float32", dims: [2, 64], data: Float32Array.from(eighths(128, 5)) },
        dy: { dataType: "float32", dims: [3, 64], data: Float32Array.from(eighths(192, 6)) },
        ids: { dataType: "int64", dims: [2], data: BigInt64Array.of(3n, 1n) },
      };
      const session = await createOnnxruntimeNodeRuntime().createSession({ ...built, graph });
      const outputs = await session.run(feeds);
      await session.dispose();
      const [backward, forward, rows] = built.graph.outputs.map((output) =>
        Array.from(outputs[output.name]!.data as Float32Array),
      );
      // The int8 blocks widened here: w [4, 64] by blocks along rows, wT [64, 4] down columns.
      const values = (salt: number) => Array.from({ length: 256 }, (_, i) => ((i * 5 + salt) % 15) - 7);
      const scales = [0.5, 1, 0.25, 2, 1, 0.5, 4, 0.125];
      const w = values(1).map(
        (value, i) => value * scales[Math.floor(i / 64) * 2 + Math.floor((i % 64) / 32)]!,
      );
      const wT = values(2).map((value, i) => value * scales[Math.floor(i / 4 / 32) * 4 + (i % 4)]!);
      const wTransposed = Array.from({ length: 256 }, (_, i) => w[(i % 4) * 64 + Math.floor(i / 4)]!);
      // Exact: every term is a multiple of 1/64 far from fp32's limits. (ONNX Runtime's own fusion of
      // the untouched graph's DequantizeLinear and MatMul is not: it quantizes x as well.)
      expect(backward).toEqual(product(eighths(192, 6), wTransposed, 3, 64, 4));
      expect(forward).toEqual(product(eighths(128, 5), wT, 2, 64, 4));
      expect(rows).toEqual([...w.slice(192, 256), ...w.slice(64, 128)]);
    },
  );
});

describe("int8 blocks in a weight file, without the pass", () => {
  it("a DequantizeLinear read by a MatMul stays exact in a session over external data", async () => {
    // ONNX Runtime fuses DequantizeLinear + MatMul over inline initializers into a kernel that
    // quantizes x as well (see the test above); a session over mapped weights must not.
    const folder = mkdtempSync(join(tmpdir(), "ts-dq-external-"));
    try {
      const values = Int8Array.from({ length: 256 }, (_, i) => ((i * 5 + 2) % 15) - 7);
      const scales = Float32Array.of(0.5, 1, 0.25, 2, 1, 0.5, 4, 0.125);
      writeFileSync(
        join(folder, "w.bin"),
        Buffer.concat([Buffer.from(values.buffer), Buffer.from(scales.buffer)]),
      );
      const g = createGraphBuilder("dq-external");
      const x = g.input("x", "float32", ["rows", 64]);
      const q = g.initializer({
        name: "qT",
        dataType: "int8",
        dims: [64, 4],
        external: { location: "w.bin", offset: 0, length: 256 },
      });
      const s = g.initializer({
        name: "qTs",
        dataType: "float32",
        dims: [2, 4],
        external: { location: "w.bin", offset: 256, length: 32 },
      });
      const [w] = g.node("DequantizeLinear", [q, s], { axis: 0, block_size: 32 });
      g.output(g.node("MatMul", [x, w!])[0]!);
      const session = await createOnnxruntimeNodeRuntime().createSession(g.build(), {
        externalDataFolder: folder,
      });
      const xs = eighths(128, 5);
      const outputs = await session.run({
        x: { dataType: "float32", dims: [2, 64], data: Float32Array.from(xs) },
      });
      await session.dispose();
      const wT = Array.from(values, (value, i) => value * scales[Math.floor(i / 4 / 32) * 4 + (i % 4)]!);
      expect(Array.from(Object.values(outputs)[0]!.data as Float32Array)).toEqual(product(xs, wT, 2, 64, 4));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe("castWeightsAtUse without 16-bit initializers", () => {
  it("returns the graph it was given", () => {
    const g = createGraphBuilder("plain");
    const x = g.input("x", "float32", [2]);
    const w = g.initializer(Float32Array.of(1, 2), [2], { name: "w" });
    g.output(g.node("Mul", [x, g.node("Cast", [w], { to: ONNX_DATA_TYPE.float32 })[0]!])[0]!);
    const graph = g.graph();
    expect(castWeightsAtUse(graph)).toBe(graph);
  });
});
