import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import type { AttributeInput } from "../../graph/attributes.ts";
import { createGraphBuilder } from "../../graph/builder.ts";
import type { DataType, OnnxModel } from "../../graph/types.ts";
import { buildGradientGraph } from "../build-gradient-graph.ts";
import { checkModelGradient } from "../testing/model-check.ts";
import { type HostTensor, ortSessionFactory } from "../testing/ort-session.ts";
import { seededRandom, uniformValues } from "../testing/random.ts";
import { contribRewrites, rewriteContribOps } from "./index.ts";

const sessions = ortSessionFactory(ort as never);
// ONNX Runtime fuses x·Sigmoid(x) back into QuickGelu, which has no float64 kernel.
const basicSessions = ortSessionFactory(ort as never, { graphOptimizationLevel: "basic" });
/** Erf has no float64 kernel in ONNX Runtime: Gelu-by-Erf rewrites are checked in float32 (tolerance 5e-3). */
const ERF_BASED = new Set(["BiasGelu", "Gelu"]);

type Operand =
  | { kind: "input"; shape: number[] }
  | { kind: "float"; shape: number[]; range?: [number, number] }
  | { kind: "int64"; shape: number[]; values: number[] }
  | { kind: "int32"; shape: number[]; values: number[] }
  | { kind: "uint8"; shape: number[]; values: number[] }
  | { kind: "table"; shape: number[]; values: (row: number, column: number) => number }
  | { kind: "none" };

interface ContribCase {
  name: string;
  opType: string;
  domain: string;
  operands: Operand[];
  attributes?: Record<string, AttributeInput>;
  /** Output names; "" skips an optional output. */
  outputs: string[];
}

function floatData(dataType: DataType, values: number[]) {
  return dataType === "float64" ? Float64Array.from(values) : Float32Array.from(values);
}

/** The one-node contrib model in `dataType`, and random feeds for its inputs. */
function contribModel(
  testCase: ContribCase,
  dataType: DataType,
): { model: OnnxModel; feeds: Record<string, HostTensor> } {
  const g = createGraphBuilder(testCase.name);
  const random = seededRandom(17);
  const feeds: Record<string, HostTensor> = {};
  const names = testCase.operands.map((operand, index) => {
    const count = "shape" in operand ? operand.shape.reduce((total, dim) => total * dim, 1) : 0;
    switch (operand.kind) {
      case "none":
        return "";
      case "input": {
        const name = g.input(`x${index}`, dataType, operand.shape);
        feeds[name] = {
          dataType,
          dims: operand.shape,
          data: floatData(dataType, uniformValues(random, count)),
        };
        return name;
      }
      case "float":
        return g.initializer(
          floatData(dataType, uniformValues(random, count, ...(operand.range ?? [-1, 1]))),
          operand.shape,
          { dataType },
        );
      case "table": {
        const [rows, columns] = operand.shape as [number, number];
        const values = Array.from({ length: rows * columns }, (_, flat) =>
          operand.values(Math.floor(flat / columns), flat % columns),
        );
        return g.initializer(floatData(dataType, values), operand.shape, { dataType });
      }
      case "int64":
        return g.initializer(BigInt64Array.from(operand.values.map(BigInt)), operand.shape);
      case "int32":
        return g.initializer(Int32Array.from(operand.values), operand.shape);
      case "uint8":
        return g.initializer(Uint8Array.from(operand.values), operand.shape, { dataType: "uint8" });
      default:
        throw new Error("unknown operand kind");
    }
  });
  g.node(testCase.opType, names, testCase.attributes ?? {}, {
    domain: testCase.domain,
    outputs: testCase.outputs,
  });
  for (const output of testCase.outputs) if (output !== "") g.output(output, dataType);
  return { model: g.build({ "": 18, "com.microsoft": 1 }), feeds };
}

const angle = (position: number, index: number) => position / 10000 ** (index / 4);
const rotary = (half: number, interleaved: number, extra: Record<string, AttributeInput> = {}) => ({
  cos: {
    kind: "table" as const,
    shape: [10, half],
    values: (row: number, column: number) => Math.cos(angle(row, column)),
  },
  sin: {
    kind: "table" as const,
    shape: [10, half],
    values: (row: number, column: number) => Math.sin(angle(row, column)),
  },
  attributes: { interleaved, ...extra },
});

const random = seededRandom(3);
const codes = (count: number) => Array.from({ length: count }, () => Math.floor(random() * 256));

const CASES: ContribCase[] = [
  {
    name: "rms norm",
    opType: "SimplifiedLayerNormalization",
    domain: "",
    operands: [
      { kind: "input", shape: [2, 3, 8] },
      { kind: "float", shape: [8] },
    ],
    attributes: { axis: -1, epsilon: 1e-6 },
    outputs: ["y"],
  },
  {
    name: "skip rms norm with bias",
    opType: "SkipSimplifiedLayerNormalization",
    domain: "com.microsoft",
    operands: [
      { kind: "input", shape: [2, 3, 8] },
      { kind: "input", shape: [2, 3, 8] },
      { kind: "float", shape: [8] },
      { kind: "float", shape: [8] },
    ],
    attributes: { epsilon: 1e-6 },
    outputs: ["y", "", "", "sum"],
  },
  {
    name: "skip layer norm",
    opType: "SkipLayerNormalization",
    domain: "com.microsoft",
    operands: [
      { kind: "input", shape: [2, 3, 8] },
      { kind: "input", shape: [2, 3, 8] },
      { kind: "float", shape: [8] },
      { kind: "float", shape: [8] },
      { kind: "float", shape: [8] },
    ],
    attributes: { epsilon: 1e-5 },
    outputs: ["y", "", "", "sum"],
  },
  {
    name: "fast gelu with bias",
    opType: "FastGelu",
    domain: "com.microsoft",
    operands: [
      { kind: "input", shape: [2, 3, 4] },
      { kind: "float", shape: [4] },
    ],
    outputs: ["y"],
  },
  {
    name: "bias gelu",
    opType: "BiasGelu",
    domain: "com.microsoft",
    operands: [
      { kind: "input", shape: [2, 3, 4] },
      { kind: "float", shape: [4] },
    ],
    outputs: ["y"],
  },
  {
    name: "gelu",
    opType: "Gelu",
    domain: "com.microsoft",
    operands: [{ kind: "input", shape: [2, 5] }],
    outputs: ["y"],
  },
  {
    name: "quick gelu",
    opType: "QuickGelu",
    domain: "com.microsoft",
    operands: [{ kind: "input", shape: [2, 5] }],
    attributes: { alpha: { type: "float", value: 1.702 } },
    outputs: ["y"],
  },
  ...[0, 1].map((interleaved) => {
    const tables = rotary(4, interleaved, { num_heads: 2 });
    return {
      name: `rotary 3-D, position ids, interleaved=${interleaved}`,
      opType: "RotaryEmbedding",
      domain: "com.microsoft",
      operands: [
        { kind: "input", shape: [2, 3, 16] },
        { kind: "int64", shape: [2, 3], values: [0, 1, 2, 4, 5, 6] },
        tables.cos,
        tables.sin,
      ] as Operand[],
      attributes: tables.attributes,
      outputs: ["y"],
    };
  }),
  (() => {
    const tables = rotary(4, 0);
    return {
      name: "rotary 4-D, position offset",
      opType: "RotaryEmbedding",
      domain: "com.microsoft",
      operands: [
        { kind: "input", shape: [2, 2, 3, 8] },
        { kind: "int64", shape: [1], values: [2] },
        tables.cos,
        tables.sin,
      ] as Operand[],
      attributes: tables.attributes,
      outputs: ["y"],
    };
  })(),
  (() => {
    const tables = rotary(2, 0, { num_heads: 2, rotary_embedding_dim: 4 });
    return {
      name: "rotary 3-D, partial rotary dim",
      opType: "RotaryEmbedding",
      domain: "com.microsoft",
      operands: [
        { kind: "input", shape: [1, 3, 16] },
        { kind: "int64", shape: [1, 3], values: [3, 4, 5] },
        tables.cos,
        tables.sin,
      ] as Operand[],
      attributes: tables.attributes,
      outputs: ["y"],
    };
  })(),
  {
    name: "4-bit weights, zero points, bias",
    opType: "MatMulNBits",
    domain: "com.microsoft",
    operands: [
      { kind: "input", shape: [2, 3, 32] },
      { kind: "uint8", shape: [5, 2, 8], values: codes(80) },
      { kind: "float", shape: [10], range: [0.01, 0.1] },
      { kind: "uint8", shape: [5], values: codes(5) },
      { kind: "none" },
      { kind: "float", shape: [5] },
    ],
    attributes: { K: 32, N: 5, bits: 4, block_size: 16 },
    outputs: ["y"],
  },
  {
    name: "8-bit weights, K not a multiple of the block",
    opType: "MatMulNBits",
    domain: "com.microsoft",
    operands: [
      { kind: "input", shape: [3, 20] },
      { kind: "uint8", shape: [4, 2, 16], values: codes(128) },
      { kind: "float", shape: [8], range: [0.001, 0.01] },
    ],
    attributes: { K: 20, N: 4, bits: 8, block_size: 16 },
    outputs: ["y"],
  },
];

const gqaTables = rotary(8, 0);
const none = { kind: "none" } as const;
/** GroupQueryAttention: 4 query heads sharing 2 key/value heads, head size 16 (the kernel needs a multiple of 16 with rotary). */
const GQA_CASES: ContribCase[] = [
  {
    name: "prompt without past",
    opType: "GroupQueryAttention",
    domain: "com.microsoft",
    operands: [
      { kind: "input", shape: [2, 3, 64] },
      { kind: "input", shape: [2, 3, 32] },
      { kind: "input", shape: [2, 3, 32] },
      none,
      none,
      { kind: "int32", shape: [2], values: [2, 2] },
      { kind: "int32", shape: [], values: [3] },
    ],
    attributes: { num_heads: 4, kv_num_heads: 2 },
    outputs: ["y", "present_key", "present_value"],
  },
  {
    name: "prompt with rotary, empty past, softcap",
    opType: "GroupQueryAttention",
    domain: "com.microsoft",
    operands: [
      { kind: "input", shape: [2, 3, 64] },
      { kind: "input", shape: [2, 3, 32] },
      { kind: "input", shape: [2, 3, 32] },
      { kind: "float", shape: [2, 2, 0, 16] },
      { kind: "float", shape: [2, 2, 0, 16] },
      { kind: "int32", shape: [2], values: [2, 2] },
      { kind: "int32", shape: [], values: [3] },
      gqaTables.cos,
      gqaTables.sin,
    ],
    attributes: { num_heads: 4, kv_num_heads: 2, do_rotary: 1, softcap: { type: "float", value: 2 } },
    outputs: ["y", "present_key", "present_value"],
  },
  {
    name: "packed QKV, one new token after a past of 3, interleaved rotary, scale",
    opType: "GroupQueryAttention",
    domain: "com.microsoft",
    operands: [
      { kind: "input", shape: [2, 1, 128] },
      none,
      none,
      { kind: "input", shape: [2, 2, 3, 16] },
      { kind: "input", shape: [2, 2, 3, 16] },
      { kind: "int32", shape: [2], values: [3, 3] },
      { kind: "int32", shape: [], values: [4] },
      gqaTables.cos,
      gqaTables.sin,
    ],
    attributes: {
      num_heads: 4,
      kv_num_heads: 2,
      do_rotary: 1,
      rotary_interleaved: 1,
      scale: { type: "float", value: 0.3 },
    },
    outputs: ["y", "present_key", "present_value"],
  },
  {
    name: "local window",
    opType: "GroupQueryAttention",
    domain: "com.microsoft",
    operands: [
      { kind: "input", shape: [1, 5, 64] },
      { kind: "input", shape: [1, 5, 32] },
      { kind: "input", shape: [1, 5, 32] },
      none,
      none,
      { kind: "int32", shape: [1], values: [4] },
      { kind: "int32", shape: [], values: [5] },
    ],
    attributes: { num_heads: 4, kv_num_heads: 2, local_window_size: 2 },
    outputs: ["y", "present_key", "present_value"],
  },
];
CASES.push(...GQA_CASES);

function maxDifference(a: HostTensor, b: HostTensor): number {
  const scale = Math.max(1e-6, ...Array.from(a.data as Float32Array, Math.abs));
  return (
    Math.max(
      ...Array.from(a.data as Float32Array, (value, index) =>
        Math.abs(value - (b.data as Float32Array)[index]!),
      ),
    ) / scale
  );
}

describe("rewriteContribOps", () => {
  it("has a test case for every rewrite", () => {
    const tested = new Set(CASES.map((testCase) => testCase.opType));
    expect(contribRewrites.map((rewrite) => rewrite.opType).filter((opType) => !tested.has(opType))).toEqual(
      [],
    );
  });

  for (const testCase of CASES) {
    describe(`${testCase.opType}: ${testCase.name}`, () => {
      it("leaves only standard operators that compute what ONNX Runtime's kernel computes (float32)", async () => {
        const { model, feeds } = contribModel(testCase, "float32");
        const rewritten = rewriteContribOps(model);
        expect(rewritten.graph.nodes.every((node) => node.domain === "")).toBe(true);
        expect(rewritten.graph.nodes.some((node) => node.opType === testCase.opType)).toBe(false);
        const native = await (await sessions(model))(feeds);
        const standard = await (await sessions(rewritten))(feeds);
        for (const output of testCase.outputs.filter((name) => name !== "")) {
          expect(maxDifference(native[output]!, standard[output]!)).toBeLessThan(2e-5);
        }
      });

      const dataType = ERF_BASED.has(testCase.opType) ? "float32" : "float64";
      it(`differentiates after rewriting (${dataType}, finite differences)`, async () => {
        const { model, feeds } = contribModel(testCase, dataType);
        const rewritten = rewriteContribOps(model);
        const of = testCase.outputs.filter((name) => name !== "");
        const result = await checkModelGradient(
          rewritten,
          { of, wrt: Object.keys(feeds), feeds, dataType },
          basicSessions,
        );
        expect(result.maxError).toBeLessThanOrEqual(dataType === "float64" ? 1e-6 : 5e-3);
      });
    });
  }

  it("declines MatMulNBits with non-constant weights, leaving an error that names the operator", () => {
    const g = createGraphBuilder("dynamic weights");
    const a = g.input("a", "float32", [2, 16]);
    const b = g.input("b", "uint8", [3, 1, 8]);
    const scales = g.initializer(new Float32Array(3), [3]);
    g.node(
      "MatMulNBits",
      [a, b, scales],
      { K: 16, N: 3, bits: 4, block_size: 16 },
      { domain: "com.microsoft", outputs: ["y"] },
    );
    g.output("y", "float32");
    const rewritten = rewriteContribOps(g.build({ "": 18, "com.microsoft": 1 }));
    expect(rewritten.graph.nodes.map((node) => node.opType)).toEqual(["MatMulNBits"]);
    expect(() => buildGradientGraph(rewritten, { of: ["y"], wrt: ["a"] })).toThrow(/MatMulNBits/);
  });
});
