import { TokenscopeError } from "@tokenscope/core";
import {
  type AttributeInput,
  createGraphBuilder,
  type GraphBuilder,
  ONNX_DATA_TYPE,
} from "@tokenscope/tensor-backends";
import type { DecoderConfig, DecoderWeights, WeightTensor } from "../weights/types.ts";
import type { PlacedWeight, WeightFile } from "../weights/weight-file.ts";
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
  /**
   * A weight in its stored layout, in the graph's float type (an fp32 initializer, or a filed 16-bit
   * one, cast for float64 or from 16 bits).
   */
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
  /**
   * A filed matrix as an external initializer; a 16-bit one is cast to the graph's type, an int8 one
   * dequantized by blocks, where it is read (`castWeightsAtUse` gives each use its own, so no widened
   * copy outlives its product).
   */
  const filedInitializer = (name: string, dims: readonly number[], placed: PlacedWeight): string => {
    const { location, offset, length } = placed;
    const external = { location, offset, length };
    const initializer = builder.initializer({ name, dataType: placed.dataType, dims: [...dims], external });
    if (placed.dataType === "float32") return asDataType(initializer);
    if (placed.dataType !== "int8") {
      return builder.node(
        "Cast",
        [initializer],
        { to: castTo[dataType] },
        { outputs: [`${name}:${dataType}`] },
      )[0]!;
    }
    const { blockSize, blockAxis } = placed;
    const scaleDims = blockAxis === 1 ? [dims[0]!, dims[1]! / blockSize] : [dims[0]! / blockSize, dims[1]!];
    const scales = builder.initializer({
      name: `${name}:scales`,
      dataType: "float32",
      dims: scaleDims,
      external: placed.scales,
    });
    const [values] = builder.node(
      "DequantizeLinear",
      [initializer, scales],
      { axis: blockAxis, block_size: blockSize },
      { outputs: [`${name}:float32`] },
    );
    return asDataType(values!);
  };
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
          // `data` is read only for a tensor kept inline: reading it widens a lazy one to fp32.
          const { dims } = tensor(name);
          const placed = weightFile?.place(name, "stored");
          return placed
            ? filedInitializer(name, dims, placed)
            : asDataType(builder.initializer(tensor(name).data, dims, { name }));
        });
      },
      weightTransposed(name) {
        return once(`weightT:${name}`, () => {
          const placed = weightFile?.place(name, "transposed");
          if (placed) return filedInitializer(`${name}:T`, [...tensor(name).dims].reverse(), placed);
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
