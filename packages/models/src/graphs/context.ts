import { TokenscopeError } from "@tokenscope/core";
import {
  type AttributeInput,
  createGraphBuilder,
  type GraphBuilder,
  ONNX_DATA_TYPE,
} from "@tokenscope/tensor-backends";
import type { DecoderConfig, DecoderWeights, WeightTensor } from "../weights/types.ts";
import type { WeightFile } from "../weights/weight-file.ts";
import type { DecoderDataType } from "./types.ts";

/**
 * What every block needs while it adds nodes: the builder, the activation type, the weights, and
 * small helpers for constants. Blocks are plain functions of a context; nothing here knows a family.
 */
export interface GraphContext {
  readonly builder: GraphBuilder;
  readonly dataType: DecoderDataType;
  readonly config: DecoderConfig;
  /** Prefix of the node names made through {@link GraphContext.op} (`layers.3/attn`), for reading graphs. */
  readonly scope: string;
  /** Adds one single-output node; `output` fixes the output name (for the stable tap names). */
  op(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, AttributeInput | undefined>,
    output?: string,
  ): string;
  /** A weight in its stored layout, in the graph's float type (fp32 initializer, cast for float64). */
  weight(name: string): string;
  /** A Hugging Face [out, in] matrix as [in, out], ready for `MatMul(x, w)`. */
  weightTransposed(name: string): string;
  /** A scalar constant of the graph's float type. */
  float(value: number): string;
  /** A 1-D int64 constant (shapes, axes, split sizes). */
  ints(values: readonly number[]): string;
  /** The same context with node names under `scope`. */
  within(scope: string): GraphContext;
  /** Builds a value once per graph (masks, rotary tables) and returns it on later calls. */
  once(key: string, make: () => string): string;
}

/** ONNX `Cast` targets by our type names. */
export const castTo = {
  float32: ONNX_DATA_TYPE.float32,
  float64: ONNX_DATA_TYPE.float64,
  int64: ONNX_DATA_TYPE.int64,
  bool: ONNX_DATA_TYPE.bool,
} as const;

function transpose(tensor: WeightTensor): WeightTensor {
  const [rows, cols] = tensor.dims as [number, number];
  const data = new Float32Array(tensor.data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) data[c * rows + r] = tensor.data[r * cols + c]!;
  }
  return { dims: [cols, rows], data };
}

/**
 * A fresh context over `weights` with an empty graph named `graphName`. With `weightFile`, matrices
 * become external initializers in that file (written on first use) instead of inline copies.
 */
export function createGraphContext(
  weights: DecoderWeights,
  dataType: DecoderDataType,
  graphName: string,
  weightFile?: WeightFile,
): GraphContext {
  const builder = createGraphBuilder(graphName);
  const cache = new Map<string, string>();
  // Node names are scope/op:counter, unique by construction (the builder refuses a reused name).
  let nodeCount = 0;
  const once = (key: string, make: () => string): string => {
    const known = cache.get(key);
    if (known !== undefined) return known;
    const made = make();
    cache.set(key, made);
    return made;
  };
  const tensor = (name: string): WeightTensor => {
    const found = weights.tensors.get(name);
    if (found === undefined) {
      throw new TokenscopeError("MODEL_LOAD_FAILED", `The weights have no tensor ${name}.`, {
        hint: "Pass complete weights, as a loader returns them (validateDecoderWeights lists what is missing).",
        details: { tensor: name },
      });
    }
    return found;
  };
  // Weights stay fp32 initializers (raw bytes encode fast); a float64 graph casts them once each.
  const asDataType = (initializer: string): string =>
    dataType === "float32"
      ? initializer
      : builder.node("Cast", [initializer], { to: castTo.float64 }, { outputs: [`${initializer}:f64`] })[0]!;
  const make = (scope: string): GraphContext => {
    const context: GraphContext = {
      builder,
      dataType,
      config: weights.config,
      scope,
      op(opType, inputs, attributes, output) {
        const options = {
          name: `${scope === "" ? "" : `${scope}/`}${opType}:${nodeCount++}`,
          ...(output === undefined ? {} : { outputs: [output] }),
        };
        return builder.node(opType, inputs, attributes, options)[0]!;
      },
      weight(name) {
        return once(`weight:${name}`, () => {
          const { dims, data } = tensor(name);
          const external = weightFile?.place(name, "stored");
          return asDataType(
            external
              ? builder.initializer({ name, dataType: "float32", dims, external })
              : builder.initializer(data, dims, { name }),
          );
        });
      },
      weightTransposed(name) {
        return once(`weightT:${name}`, () => {
          const external = weightFile?.place(name, "transposed");
          if (external) {
            const dims = [...tensor(name).dims].reverse();
            return asDataType(
              builder.initializer({ name: `${name}:T`, dataType: "float32", dims, external }),
            );
          }
          const transposed = transpose(tensor(name));
          return asDataType(builder.initializer(transposed.data, transposed.dims, { name: `${name}:T` }));
        });
      },
      float(value) {
        return once(`${dataType}:${value}`, () =>
          builder.constant(
            dataType === "float64" ? new Float64Array([value]) : new Float32Array([value]),
            [],
          ),
        );
      },
      ints(values) {
        return once(`int64:${values.join(",")}`, () =>
          builder.constant(
            BigInt64Array.from(values, (value) => BigInt(value)),
            [values.length],
          ),
        );
      },
      within(child) {
        return make(scope === "" ? child : `${scope}/${child}`);
      },
      once,
    };
    return context;
  };
  return make("");
}
