/**
 * Random decoder-only transformers (float64 by default, tiny unless configured otherwise), built from
 * standard ONNX operators the way exporters write them: a GPT-2 style model (LayerNormalization, MatMul +
 * bias, causal softmax attention masked with Where, tanh-Gelu MLP) and a Llama style one (RMSNorm from
 * Pow/ReduceMean/Sqrt/Div, rotary embedding from Slice/Concat/Mul, additive causal mask, SwiGLU with
 * Sigmoid). Input: embeddings [batch, sequence, hidden]; output: logits, plus `objective`, one logit (last
 * position, one token) per batch item. The benchmark builds a full-size Llama in float32 from the same code.
 */
import { createGraphBuilder, type GraphBuilder } from "../../graph/builder.ts";
import type { OnnxModel } from "../../graph/types.ts";
import { seededRandom } from "./random.ts";

/** Sizes of a tiny model. */
export interface TinyConfig {
  hidden: number;
  heads: number;
  layers: number;
  vocab: number;
  /** Longest sequence the rotary tables cover (Llama). */
  maxPositions: number;
  /** Token whose last-position logit is the objective. */
  targetToken: number;
  seed: number;
  /** Element type of weights, input and outputs (default float64, what the finite-difference checks need). */
  dataType?: "float32" | "float64";
  /** Width of the Llama MLP (default 2 · hidden). */
  intermediate?: number;
}

/** A tiny model and the names tests need. */
export interface TinyModel {
  model: OnnxModel;
  input: string;
  logits: string;
  objective: string;
  /** Residual stream after each layer. */
  residuals: string[];
}

/** Defaults: hidden 8, 2 heads, 2 layers, vocabulary 11. */
export const TINY: TinyConfig = {
  hidden: 8,
  heads: 2,
  layers: 2,
  vocab: 11,
  maxPositions: 16,
  targetToken: 3,
  seed: 5,
};

interface Parts {
  g: GraphBuilder;
  weight(rows: number, cols: number, scale?: number): string;
  vector(length: number, center?: number): string;
  ints(values: number[]): string;
  scalar(value: number): string;
}

function parts(name: string, config: TinyConfig, seed: number): Parts {
  const g = createGraphBuilder(name);
  const random = seededRandom(seed);
  const Floats = config.dataType === "float32" ? Float32Array : Float64Array;
  // Filled in place: full-size weights (10^8 values) would not fit a plain array comfortably.
  const uniform = (count: number, low: number, high: number) => {
    const values = new Floats(count);
    for (let index = 0; index < count; index++) values[index] = low + (high - low) * random();
    return values;
  };
  return {
    g,
    weight: (rows, cols, scale = 1 / Math.sqrt(rows)) =>
      g.initializer(uniform(rows * cols, -scale, scale), [rows, cols]),
    vector: (length, center = 0) => g.initializer(uniform(length, center - 0.2, center + 0.2), [length]),
    ints: (values) => g.initializer(BigInt64Array.from(values.map(BigInt)), [values.length]),
    scalar: (value) => g.initializer(Floats.of(value), []),
  };
}

function floatType(config: TinyConfig): "float32" | "float64" {
  return config.dataType ?? "float64";
}

function one(
  g: GraphBuilder,
  op: string,
  inputs: string[],
  attributes?: Parameters<GraphBuilder["node"]>[2],
): string {
  return g.node(op, inputs, attributes)[0]!;
}

/** Causal mask [T, T]: true where a query position would look at a later key. */
function futureMask(p: Parts, input: string): string {
  const { g } = p;
  const length = one(g, "Gather", [one(g, "Shape", [input]), g.initializer(BigInt64Array.from([1n]), [])], {
    axis: 0,
  });
  const positions = one(g, "Range", [
    g.initializer(BigInt64Array.from([0n]), []),
    length,
    g.initializer(BigInt64Array.from([1n]), []),
  ]);
  return one(g, "Greater", [
    one(g, "Unsqueeze", [positions, p.ints([0])]),
    one(g, "Unsqueeze", [positions, p.ints([1])]),
  ]);
}

/** [B, T, D] → [B, H, T, D/H]. */
function splitHeads(p: Parts, value: string, config: TinyConfig): string {
  const shaped = one(p.g, "Reshape", [value, p.ints([0, 0, config.heads, config.hidden / config.heads])]);
  return one(p.g, "Transpose", [shaped], { perm: [0, 2, 1, 3] });
}

function mergeHeads(p: Parts, value: string, config: TinyConfig): string {
  const back = one(p.g, "Transpose", [value], { perm: [0, 2, 1, 3] });
  return one(p.g, "Reshape", [back, p.ints([0, 0, config.hidden])]);
}

function attentionCore(
  p: Parts,
  q: string,
  k: string,
  v: string,
  mask: (scores: string) => string,
  config: TinyConfig,
): string {
  const { g } = p;
  const scores = one(g, "MatMul", [q, one(g, "Transpose", [k], { perm: [0, 1, 3, 2] })]);
  const scaled = one(g, "Div", [scores, p.scalar(Math.sqrt(config.hidden / config.heads))]);
  const probabilities = one(g, "Softmax", [mask(scaled)], { axis: -1 });
  return one(g, "MatMul", [probabilities, v]);
}

function finish(p: Parts, final: string, config: TinyConfig): { logits: string; objective: string } {
  const { g } = p;
  const logits = g.node(
    "MatMul",
    [final, p.weight(config.hidden, config.vocab)],
    {},
    { outputs: ["logits"] },
  )[0]!;
  const last = one(g, "Gather", [logits, g.initializer(BigInt64Array.from([-1n]), [])], { axis: 1 });
  const objective = g.node(
    "Gather",
    [last, g.initializer(BigInt64Array.from([BigInt(config.targetToken)]), [])],
    { axis: 1 },
    { outputs: ["objective"] },
  )[0]!;
  g.output(logits, floatType(config), ["batch", "sequence", config.vocab]);
  g.output(objective, floatType(config), ["batch"]);
  return { logits, objective };
}

/** A GPT-2 style model. */
export function tinyGpt2(config: TinyConfig = TINY): TinyModel {
  const p = parts("tiny-gpt2", config, config.seed);
  const { g } = p;
  const input = g.input("inputs_embeds", floatType(config), ["batch", "sequence", config.hidden]);
  const layerNorm = (x: string) =>
    one(g, "LayerNormalization", [x, p.vector(config.hidden, 1), p.vector(config.hidden)], {
      axis: -1,
      epsilon: 1e-5,
    });
  const linear = (x: string, rows: number, cols: number) =>
    one(g, "Add", [one(g, "MatMul", [x, p.weight(rows, cols)]), p.vector(cols)]);
  const future = futureMask(p, input);
  const residuals: string[] = [];
  let x = input;
  for (let layer = 0; layer < config.layers; layer++) {
    const qkv = linear(layerNorm(x), config.hidden, 3 * config.hidden);
    const [q, k, v] = g.node(
      "Split",
      [qkv, p.ints([config.hidden, config.hidden, config.hidden])],
      { axis: -1 },
      { outputs: 3 },
    );
    const masked = (scores: string) => one(g, "Where", [future, p.scalar(-1e9), scores]);
    const heads = attentionCore(
      p,
      splitHeads(p, q!, config),
      splitHeads(p, k!, config),
      splitHeads(p, v!, config),
      masked,
      config,
    );
    x = one(g, "Add", [x, linear(mergeHeads(p, heads, config), config.hidden, config.hidden)]);
    const up = one(g, "Gelu", [linear(layerNorm(x), config.hidden, 4 * config.hidden)], {
      approximate: "tanh",
    });
    x = g.node(
      "Add",
      [x, linear(up, 4 * config.hidden, config.hidden)],
      {},
      { outputs: [`residual_${layer}`] },
    )[0]!;
    residuals.push(x);
  }
  const { logits, objective } = finish(p, layerNorm(x), config);
  return { model: g.build({ "": 20 }), input, logits, objective, residuals };
}

function rmsNorm(p: Parts, x: string, hidden: number): string {
  const { g } = p;
  const meanSquare = one(g, "ReduceMean", [one(g, "Pow", [x, p.scalar(2)])], { axes: [-1], keepdims: 1 });
  const norm = one(g, "Sqrt", [one(g, "Add", [meanSquare, p.scalar(1e-6)])]);
  return one(g, "Mul", [one(g, "Div", [x, norm]), p.vector(hidden, 1)]);
}

/** Rotary tables [maxPositions, headDim] sliced to the sequence length at run time. */
function rotaryTables(p: Parts, input: string, config: TinyConfig): { cos: string; sin: string } {
  const { g } = p;
  const headDim = config.hidden / config.heads;
  const half = headDim / 2;
  const cos: number[] = [];
  const sin: number[] = [];
  for (let position = 0; position < config.maxPositions; position++) {
    for (let index = 0; index < headDim; index++) {
      const angle = position / 10000 ** ((2 * (index % half)) / headDim);
      cos.push(Math.cos(angle));
      sin.push(Math.sin(angle));
    }
  }
  const length = one(g, "Slice", [one(g, "Shape", [input]), p.ints([1]), p.ints([2])]);
  const table = (values: number[]) =>
    one(g, "Slice", [
      g.initializer(config.dataType === "float32" ? Float32Array.from(values) : Float64Array.from(values), [
        config.maxPositions,
        headDim,
      ]),
      p.ints([0]),
      length,
      p.ints([0]),
    ]);
  return { cos: table(cos), sin: table(sin) };
}

function rotate(p: Parts, x: string, tables: { cos: string; sin: string }, config: TinyConfig): string {
  const { g } = p;
  const half = config.hidden / config.heads / 2;
  const first = one(g, "Slice", [x, p.ints([0]), p.ints([half]), p.ints([-1])]);
  const second = one(g, "Slice", [x, p.ints([half]), p.ints([2 * half]), p.ints([-1])]);
  const rotated = one(g, "Concat", [one(g, "Neg", [second]), first], { axis: -1 });
  return one(g, "Add", [one(g, "Mul", [x, tables.cos]), one(g, "Mul", [rotated, tables.sin])]);
}

/** A Llama style model. */
export function tinyLlama(config: TinyConfig = TINY): TinyModel {
  const p = parts("tiny-llama", config, config.seed + 1);
  const { g } = p;
  const input = g.input("inputs_embeds", floatType(config), ["batch", "sequence", config.hidden]);
  const tables = rotaryTables(p, input, config);
  const additive = one(g, "Where", [futureMask(p, input), p.scalar(-1e9), p.scalar(0)]);
  const residuals: string[] = [];
  let x = input;
  for (let layer = 0; layer < config.layers; layer++) {
    const h = rmsNorm(p, x, config.hidden);
    const project = (value: string) => one(g, "MatMul", [value, p.weight(config.hidden, config.hidden)]);
    const q = rotate(p, splitHeads(p, project(h), config), tables, config);
    const k = rotate(p, splitHeads(p, project(h), config), tables, config);
    const v = splitHeads(p, project(h), config);
    const heads = attentionCore(p, q, k, v, (scores) => one(g, "Add", [scores, additive]), config);
    x = one(g, "Add", [x, project(mergeHeads(p, heads, config))]);
    const m = rmsNorm(p, x, config.hidden);
    const width = config.intermediate ?? 2 * config.hidden;
    const gate = one(g, "MatMul", [m, p.weight(config.hidden, width)]);
    const up = one(g, "MatMul", [m, p.weight(config.hidden, width)]);
    const silu = one(g, "Mul", [gate, one(g, "Sigmoid", [gate])]);
    const down = one(g, "MatMul", [one(g, "Mul", [silu, up]), p.weight(width, config.hidden)]);
    x = g.node("Add", [x, down], {}, { outputs: [`residual_${layer}`] })[0]!;
    residuals.push(x);
  }
  const { logits, objective } = finish(p, rmsNorm(p, x, config.hidden), config);
  return { model: g.build({ "": 17 }), input, logits, objective, residuals };
}
