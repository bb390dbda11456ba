/**
 * Shape rules for the operators that move data around (Reshape, Transpose, Squeeze, Unsqueeze, Concat,
 * Split, Slice, Gather, Expand, Flatten, Tile) and those that compute shapes (Shape, Size,
 * ConstantOfShape, Range). Integer contents are tracked so that `Shape → Gather → Concat →
 * Reshape` chains keep symbolic dims.
 */
import { dataTypeFromOnnxOrUndefined } from "../dtypes.ts";
import type { Dim } from "../types.ts";
import { type RuleContext, type ShapeRule, tensorValue } from "./context.ts";
import { broadcastShapes, normalizeAxis, productOfDims, reshapeDims, sliceDim, sumOfDims } from "./dims.ts";

/** Axes from input `index` (opset ≥ 13 style) or the `axes` attribute. */
function axesOf(context: RuleContext, index: number): number[] | undefined {
  return context.hasInput(index) ? context.numbers(index) : context.ints("axes");
}

export const reshape: ShapeRule = (context) => {
  const dataType = context.dataType(0);
  const target = context.contents(1);
  if (dataType === undefined) return [undefined];
  if (target === undefined) {
    const rank = context.shape(1)?.[0];
    return [tensorValue(dataType, typeof rank === "number" ? new Array<Dim>(rank).fill(null) : undefined)];
  }
  const shape = reshapeDims(context.shape(0), target, context.int("allowzero", 0) === 1);
  const contents = context.contents(0);
  return [tensorValue(dataType, shape, contents)];
};

export const transpose: ShapeRule = (context) => {
  const input = context.input(0);
  if (input === undefined) return [undefined];
  const shape = input.type.shape;
  if (shape === undefined) return [tensorValue(input.type.dataType, undefined)];
  const perm = context.ints("perm") ?? shape.map((_, index) => shape.length - 1 - index);
  return [
    tensorValue(
      input.type.dataType,
      perm.map((axis) => shape[axis] ?? null),
    ),
  ];
};

export const squeeze: ShapeRule = (context) => {
  const input = context.input(0);
  if (input === undefined) return [undefined];
  const shape = input.type.shape;
  const axes = axesOf(context, 1);
  if (shape === undefined) return [tensorValue(input.type.dataType, undefined)];
  if (axes === undefined) {
    if (context.hasInput(1) || shape.some((dim) => typeof dim !== "number")) {
      return [tensorValue(input.type.dataType, undefined)];
    }
    return [
      tensorValue(
        input.type.dataType,
        shape.filter((dim) => dim !== 1),
        input.contents,
      ),
    ];
  }
  const drop = new Set(axes.map((axis) => normalizeAxis(axis, shape.length)));
  return [
    tensorValue(
      input.type.dataType,
      shape.filter((_, index) => !drop.has(index)),
      input.contents,
    ),
  ];
};

export const unsqueeze: ShapeRule = (context) => {
  const input = context.input(0);
  if (input === undefined) return [undefined];
  const shape = input.type.shape;
  const axes = axesOf(context, 1);
  if (shape === undefined || axes === undefined) return [tensorValue(input.type.dataType, undefined)];
  const rank = shape.length + axes.length;
  const inserted = new Set(axes.map((axis) => normalizeAxis(axis, rank)));
  const output: Dim[] = [];
  let next = 0;
  for (let index = 0; index < rank; index++) output.push(inserted.has(index) ? 1 : (shape[next++] ?? null));
  return [tensorValue(input.type.dataType, output, input.contents)];
};

export const concat: ShapeRule = (context) => {
  const count = context.node.inputs.length;
  const inputs = Array.from({ length: count }, (_, index) => context.input(index));
  const dataType = inputs.find(Boolean)?.type.dataType;
  if (dataType === undefined) return [undefined];
  const shapes = inputs.map((input) => input?.type.shape);
  const first = shapes.find(Boolean);
  if (first === undefined || shapes.some((shape) => shape === undefined || shape.length !== first.length)) {
    return [tensorValue(dataType, first === undefined ? undefined : new Array<Dim>(first.length).fill(null))];
  }
  const axis = normalizeAxis(context.int("axis", 0), first.length);
  if (axis === undefined) return [tensorValue(dataType, undefined)];
  const known = shapes as Dim[][];
  const shape = first.map((_, index) =>
    index === axis
      ? sumOfDims(known.map((s) => s[index]!))
      : known.map((s) => s[index]!).reduce((a, b) => (a === b ? a : typeof a === "number" ? a : b)),
  );
  const contents = inputs.every((input) => input?.contents !== undefined)
    ? inputs.flatMap((input) => input!.contents!)
    : undefined;
  return [tensorValue(dataType, shape, first.length === 1 ? contents : undefined)];
};

export const split: ShapeRule = (context) => {
  const input = context.input(0);
  const count = context.node.outputs.length;
  if (input === undefined) return new Array(count).fill(undefined);
  const { dataType, shape } = input.type;
  const axis = shape === undefined ? undefined : normalizeAxis(context.int("axis", 0), shape.length);
  if (shape === undefined || axis === undefined)
    return new Array(count).fill(tensorValue(dataType, undefined));
  const sizes = context.hasInput(1) ? context.numbers(1) : context.ints("split");
  const total = shape[axis]!;
  return Array.from({ length: count }, (_, index) => {
    let size: Dim = null;
    if (sizes !== undefined) size = sizes[index] ?? null;
    else if (typeof total === "number" && !context.hasInput(1)) {
      // Equal parts; with opset-18 num_outputs the last part takes what is left.
      const part = Math.ceil(total / count);
      size = index < count - 1 ? part : total - part * (count - 1);
    }
    return tensorValue(
      dataType,
      shape.map((dim, i) => (i === axis ? size : dim)),
    );
  });
};

export const slice: ShapeRule = (context) => {
  const input = context.input(0);
  if (input === undefined) return [undefined];
  const { dataType, shape } = input.type;
  if (shape === undefined) return [tensorValue(dataType, undefined)];
  const opsetOld = context.opset < 10;
  // Starts and ends may be symbolic (a table sliced to the sequence length): contents, not numbers.
  const starts = opsetOld ? context.ints("starts") : context.contents(1);
  const ends = opsetOld ? context.ints("ends") : context.contents(2);
  const count = starts?.length ?? ends?.length ?? context.shape(1)?.[0];
  const defaultAxes =
    typeof count === "number" ? Array.from({ length: count }, (_, index) => index) : undefined;
  const axes = opsetOld
    ? (context.ints("axes") ?? defaultAxes)
    : context.hasInput(3)
      ? context.numbers(3)
      : defaultAxes;
  const steps = opsetOld ? undefined : context.hasInput(4) ? context.numbers(4) : undefined;
  if (axes === undefined || (!opsetOld && context.hasInput(4) && steps === undefined)) {
    return [
      tensorValue(
        dataType,
        shape.map(() => null),
      ),
    ];
  }
  const output = [...shape];
  axes.forEach((rawAxis, index) => {
    const axis = normalizeAxis(rawAxis, shape.length);
    if (axis === undefined) return;
    output[axis] = sliceDim(
      shape[axis]!,
      starts?.[index] ?? null,
      ends?.[index] ?? null,
      steps?.[index] ?? 1,
    );
  });
  let contents: Dim[] | undefined;
  const values = input.contents;
  const [first, last] = [starts?.[0], ends?.[0]];
  if (
    values !== undefined &&
    shape.length === 1 &&
    (steps?.[0] ?? 1) === 1 &&
    typeof first === "number" &&
    typeof last === "number"
  ) {
    const length = values.length;
    const resolve = (value: number) => Math.min(Math.max(value < 0 ? value + length : value, 0), length);
    contents = values.slice(resolve(first), resolve(last));
  }
  return [tensorValue(dataType, output, contents)];
};

export const gather: ShapeRule = (context) => {
  const data = context.input(0);
  if (data === undefined) return [undefined];
  const { dataType, shape } = data.type;
  const indicesShape = context.shape(1);
  if (shape === undefined || indicesShape === undefined) return [tensorValue(dataType, undefined)];
  const axis = normalizeAxis(context.int("axis", 0), shape.length);
  if (axis === undefined) return [tensorValue(dataType, undefined)];
  const output = [...shape.slice(0, axis), ...indicesShape, ...shape.slice(axis + 1)];
  const indices = context.numbers(1);
  let contents: Dim[] | undefined;
  if (data.contents !== undefined && indices !== undefined && shape.length <= 1) {
    const length = data.contents.length;
    contents = indices.map((index) => data.contents![index < 0 ? index + length : index] ?? null);
  }
  return [tensorValue(dataType, output, contents)];
};

/** GatherElements / ScatterElements-like: output has the indices' shape (input 1). */
export const likeIndices: ShapeRule = (context) => {
  const dataType = context.dataType(0);
  return dataType === undefined ? [undefined] : [tensorValue(dataType, context.shape(1))];
};

export const expand: ShapeRule = (context) => {
  const dataType = context.dataType(0);
  if (dataType === undefined) return [undefined];
  const target = context.contents(1);
  return [
    tensorValue(dataType, target === undefined ? undefined : broadcastShapes([context.shape(0), target])),
  ];
};

export const flatten: ShapeRule = (context) => {
  const input = context.input(0);
  if (input === undefined) return [undefined];
  const shape = input.type.shape;
  if (shape === undefined) return [tensorValue(input.type.dataType, [null, null])];
  const rawAxis = context.int("axis", 1);
  const axis = rawAxis < 0 ? rawAxis + shape.length : rawAxis;
  return [
    tensorValue(input.type.dataType, [productOfDims(shape.slice(0, axis)), productOfDims(shape.slice(axis))]),
  ];
};

export const tile: ShapeRule = (context) => {
  const input = context.input(0);
  if (input === undefined) return [undefined];
  const repeats = context.numbers(1);
  const shape = input.type.shape;
  if (shape === undefined || repeats === undefined) return [tensorValue(input.type.dataType, undefined)];
  return [
    tensorValue(
      input.type.dataType,
      shape.map((dim, i) => (repeats[i] === 1 ? dim : productOfDims([dim, repeats[i] ?? null]))),
    ),
  ];
};

export const shapeOf: ShapeRule = (context) => {
  const shape = context.shape(0);
  if (shape === undefined) return [tensorValue("int64", [null])];
  const rank = shape.length;
  const clampAxis = (axis: number) => Math.min(Math.max(axis < 0 ? axis + rank : axis, 0), rank);
  const start = clampAxis(context.int("start", 0));
  const end = clampAxis(context.int("end", rank));
  const contents = shape.slice(start, Math.max(start, end));
  return [tensorValue("int64", [contents.length], contents)];
};

export const size: ShapeRule = (context) => {
  const shape = context.shape(0);
  return [tensorValue("int64", [], shape === undefined ? undefined : [productOfDims(shape)])];
};

export const constantOfShape: ShapeRule = (context) => {
  const value = context.attribute("value");
  const dataType = value?.type === "tensor" ? value.value.dataType : "float32";
  const target = context.contents(0);
  const length = context.shape(0)?.[0];
  const shape = target ?? (typeof length === "number" ? new Array<Dim>(length).fill(null) : undefined);
  return [tensorValue(dataType, shape)];
};

export const range: ShapeRule = (context) => {
  const dataType = context.dataType(0);
  if (dataType === undefined) return [undefined];
  const [start, limit, delta] = [context.numbers(0)?.[0], context.numbers(1)?.[0], context.numbers(2)?.[0]];
  if (start === undefined || limit === undefined || delta === undefined || delta === 0) {
    // Range(0, n, 1) over a symbolic n has n elements.
    const symbolicLimit = context.contents(1)?.[0];
    const known = start === 0 && delta === 1 && typeof symbolicLimit === "string";
    return [tensorValue(dataType, [known ? symbolicLimit : null])];
  }
  return [tensorValue(dataType, [Math.max(Math.ceil((limit - start) / delta), 0)])];
};

export const pad: ShapeRule = (context) => {
  const input = context.input(0);
  if (input === undefined) return [undefined];
  const shape = input.type.shape;
  const pads = context.opset < 11 ? context.ints("pads") : context.numbers(1);
  if (shape === undefined || pads === undefined) {
    return [
      tensorValue(
        input.type.dataType,
        shape?.map(() => null),
      ),
    ];
  }
  const axes = context.hasInput(3) ? context.numbers(3) : shape.map((_, index) => index);
  if (axes === undefined)
    return [
      tensorValue(
        input.type.dataType,
        shape.map(() => null),
      ),
    ];
  const output = [...shape];
  axes.forEach((rawAxis, index) => {
    const axis = normalizeAxis(rawAxis, shape.length);
    if (axis === undefined) return;
    const dim = shape[axis]!;
    const extra = pads[index]! + pads[index + axes.length]!;
    output[axis] = typeof dim === "number" ? dim + extra : extra === 0 ? dim : null;
  });
  return [tensorValue(input.type.dataType, output)];
};

/** TopK: values and int64 indices, both the input's shape with `axis` of size k. */
export const topK: ShapeRule = (context) => {
  const input = context.input(0);
  if (input === undefined) return [undefined, undefined];
  const shape = input.type.shape;
  const k = context.opset < 10 ? context.int("k", -1) : context.numbers(1)?.[0];
  let output: Dim[] | undefined;
  if (shape !== undefined) {
    const axis = normalizeAxis(context.int("axis", -1), shape.length);
    output = shape.map((dim, index) => (index === axis ? (k ?? null) : dim));
  }
  return [tensorValue(input.type.dataType, output), tensorValue("int64", output)];
};

/** NonZero: int64 [rank, unknown count]. */
export const nonZero: ShapeRule = (context) => [
  tensorValue("int64", [context.shape(0)?.length ?? null, null]),
];

/** Ops shaped like input 0 with the type from attribute `dtype` (EyeLike, RandomNormalLike). */
export const likeWithDtype: ShapeRule = (context) => {
  const dataType = dataTypeFromOnnxOrUndefined(context.int("dtype", 0)) ?? context.dataType(0);
  return dataType === undefined ? [undefined] : [tensorValue(dataType, context.shape(0))];
};

/** OneHot(indices, depth, values): the indices' shape with a `depth` axis inserted at `axis`, in the values' type. */
export const oneHot: ShapeRule = (context) => {
  const dataType = context.dataType(2);
  if (dataType === undefined) return [undefined];
  const indices = context.shape(0);
  if (indices === undefined) return [tensorValue(dataType, undefined)];
  const axis = normalizeAxis(context.int("axis", -1), indices.length + 1);
  if (axis === undefined) return [tensorValue(dataType, undefined)];
  // Depth is often a float constant, whose contents are not tracked: then the axis is unknown.
  const depth: Dim = context.numbers(1)?.[0] ?? null;
  return [tensorValue(dataType, [...indices.slice(0, axis), depth, ...indices.slice(axis)])];
};
