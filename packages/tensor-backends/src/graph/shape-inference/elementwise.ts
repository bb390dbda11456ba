/**
 * Shape rules for elementwise operators (unary, broadcasting binary/variadic, comparisons, casts) and
 * the normalizations whose output has the input's shape.
 */
import { dataTypeFromOnnxOrUndefined } from "../dtypes.ts";
import type { DataType, Dim } from "../types.ts";
import { type RuleContext, type ShapeRule, tensorValue } from "./context.ts";
import { broadcastShapes, normalizeAxis } from "./dims.ts";

/** Output 0 has input 0's type and shape; integer contents pass through (Identity-like ops). */
export const sameAsInput: ShapeRule = (context) => {
  const input = context.input(0);
  return input === undefined
    ? [undefined]
    : [tensorValue(input.type.dataType, input.type.shape, input.contents)];
};

/** Output 0 has input 0's type and shape, contents not tracked. */
export const unary: ShapeRule = (context) => {
  const input = context.input(0);
  return input === undefined ? [undefined] : [tensorValue(input.type.dataType, input.type.shape)];
};

type Arithmetic = "Add" | "Sub" | "Mul" | "Div";

function combineDims(op: Arithmetic, a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") {
    switch (op) {
      case "Add":
        return a + b;
      case "Sub":
        return a - b;
      case "Mul":
        return a * b;
      case "Div":
        return b === 0 ? null : Math.trunc(a / b);
    }
  }
  // Identities keep a symbolic dim alive through the arithmetic exporters put around shapes.
  if ((op === "Add" || op === "Sub") && b === 0) return a;
  if (op === "Add" && a === 0) return b;
  if ((op === "Mul" || op === "Div") && b === 1) return a;
  if (op === "Mul" && a === 1) return b;
  return null;
}

function combineContents(op: Arithmetic, a: Dim[] | undefined, b: Dim[] | undefined): Dim[] | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a.length !== b.length && a.length !== 1 && b.length !== 1) return undefined;
  const length = Math.max(a.length, b.length);
  return Array.from({ length }, (_, index) =>
    combineDims(op, a[a.length === 1 ? 0 : index]!, b[b.length === 1 ? 0 : index]!),
  );
}

function broadcastOutput(context: RuleContext, dataType: DataType | undefined): ReturnType<ShapeRule> {
  if (dataType === undefined) return [undefined];
  const shapes = context.node.inputs.map((_, index) => context.shape(index));
  return [tensorValue(dataType, broadcastShapes(shapes))];
}

/** Broadcasting arithmetic (Add, Sub, Mul, Div) with integer contents folded for shape computations. */
export const arithmetic: ShapeRule = (context) => {
  const [result] = broadcastOutput(context, context.dataType(0) ?? context.dataType(1));
  if (result === undefined) return [undefined];
  const contents = combineContents(
    context.node.opType as Arithmetic,
    context.contents(0),
    context.contents(1),
  );
  return [contents === undefined ? result : { ...result, contents }];
};

/** Broadcasting ops whose output type is input 0's (Pow, Max, Min, Sum, Mean, Mod, PRelu, ...). */
export const broadcasting: ShapeRule = (context) =>
  broadcastOutput(context, context.node.inputs.map((_, index) => context.dataType(index)).find(Boolean));

/** Broadcasting comparisons and logic: bool output. */
export const comparison: ShapeRule = (context) => broadcastOutput(context, "bool");

/** Where(condition, x, y): broadcast of all three, type of x. */
export const where: ShapeRule = (context) =>
  broadcastOutput(context, context.dataType(1) ?? context.dataType(2));

/** Cast: input shape, type from `to`; integer contents survive integer casts. */
export const cast: ShapeRule = (context) => {
  const dataType = dataTypeFromOnnxOrUndefined(context.int("to", 0));
  if (dataType === undefined) return [undefined];
  const integer = dataType === "int64" || dataType === "int32";
  return [tensorValue(dataType, context.shape(0), integer ? context.contents(0) : undefined)];
};

/** CastLike: input 0's shape, input 1's type. */
export const castLike: ShapeRule = (context) => {
  const dataType = context.dataType(1);
  return dataType === undefined ? [undefined] : [tensorValue(dataType, context.shape(0))];
};

/** Dropout: output and a bool mask of the same shape. */
export const dropout: ShapeRule = (context) => {
  const input = context.input(0);
  if (input === undefined) return [undefined, undefined];
  return [tensorValue(input.type.dataType, input.type.shape), tensorValue("bool", input.type.shape)];
};

/** Float-only unary ops returning bool (IsNaN, IsInf). */
export const unaryToBool: ShapeRule = (context) => [tensorValue("bool", context.shape(0))];

/**
 * LayerNormalization: Y like X; Mean and InvStdDev keep dims before `axis` and have 1s after,
 * in the stash type (float32 by default).
 */
export const layerNormalization: ShapeRule = (context) => {
  const input = context.input(0);
  if (input === undefined) return [undefined, undefined, undefined];
  const shape = input.type.shape;
  const stash = dataTypeFromOnnxOrUndefined(context.int("stash_type", 1)) ?? "float32";
  let statsShape: Dim[] | undefined;
  if (shape !== undefined) {
    const axis = normalizeAxis(context.int("axis", -1), shape.length);
    statsShape = axis === undefined ? undefined : shape.map((dim, index) => (index < axis ? dim : 1));
  }
  return [
    tensorValue(input.type.dataType, shape),
    tensorValue(stash, statsShape),
    tensorValue(stash, statsShape),
  ];
};

/** com.microsoft SkipLayerNormalization / SkipSimplifiedLayerNormalization: output 0 and the sum (output 3) like X. */
export const skipLayerNormalization: ShapeRule = (context) => {
  const input = context.input(0);
  if (input === undefined) return [];
  const same = tensorValue(input.type.dataType, input.type.shape);
  return [same, undefined, undefined, same];
};

/** DequantizeLinear(x, scale, zero_point): x's shape in the scale's type. */
export const dequantizeLinear: ShapeRule = (context) => {
  const dataType = context.dataType(1);
  return dataType === undefined ? [undefined] : [tensorValue(dataType, context.shape(0))];
};
