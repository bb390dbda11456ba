import type { RopeStyle } from "../../weights/types.ts";
import { castTo, type GraphContext } from "../context.ts";
import type { LongRopeSwitch } from "./rotary-frequencies.ts";

/** Cosines and sines [batch, seq, 1, rotaryDim] of every position, shared by all layers and heads. */
export interface RotaryTables {
  cos: string;
  sin: string;
  style: RopeStyle;
  rotaryDim: number;
}

/**
 * The rotary tables for `positionIds` (int64 [batch, seq]): angle = position × frequency, laid out
 * as each style pairs dimensions: `"half"` repeats the frequencies [f0..fn, f0..fn], `"interleaved"`
 * doubles each [f0, f0, f1, f1, ...]. Built once from the positions input, so left padding and
 * arbitrary positions need nothing else. With `longRope` the frequencies are chosen at run time, as
 * transformers' `longrope_frequency_update` does: the long table when max(positionIds) + 1 >
 * `original` (over the whole batch; in a cached step, the new positions), else `inverseFrequencies`;
 * cos and sin are then multiplied by its attention factor.
 */
export function rotaryTables(
  ctx: GraphContext,
  positionIds: string,
  inverseFrequencies: Float64Array,
  style: RopeStyle,
  longRope?: LongRopeSwitch,
): RotaryTables {
  const half = inverseFrequencies.length;
  const table = (values: Float64Array) =>
    ctx.builder.constant(ctx.dataType === "float64" ? Float64Array.from(values) : Float32Array.from(values), [
      half,
    ]);
  const frequencies =
    longRope === undefined
      ? table(inverseFrequencies)
      : ctx.op("Where", [
          // max + 1 > original, in int64: max > original - 1.
          ctx.op("Greater", [
            ctx.op("ReduceMax", [positionIds], { keepdims: 0 }),
            ctx.builder.constant(BigInt64Array.from([BigInt(longRope.original - 1)]), []),
          ]),
          table(longRope.longInverseFrequencies),
          table(inverseFrequencies),
        ]);
  const positions = ctx.op("Unsqueeze", [
    ctx.op("Cast", [positionIds], { to: castTo[ctx.dataType] }),
    ctx.ints([-1]),
  ]);
  const angles = ctx.op("Mul", [positions, frequencies]);
  const doubled =
    style === "half"
      ? ctx.op("Concat", [angles, angles], { axis: -1 })
      : ctx.op("Reshape", [
          ctx.op(
            "Concat",
            [ctx.op("Unsqueeze", [angles, ctx.ints([-1])]), ctx.op("Unsqueeze", [angles, ctx.ints([-1])])],
            {
              axis: -1,
            },
          ),
          ctx.ints([0, 0, -1]),
        ]);
  const perHead = ctx.op("Unsqueeze", [doubled, ctx.ints([2])]);
  const scaled = (value: string) =>
    longRope === undefined || longRope.attentionFactor === 1
      ? value
      : ctx.op("Mul", [value, ctx.float(longRope.attentionFactor)]);
  return {
    cos: scaled(ctx.op("Cos", [perHead])),
    sin: scaled(ctx.op("Sin", [perHead])),
    style,
    rotaryDim: 2 * half,
  };
}

/**
 * Rotates the first `tables.rotaryDim` dimensions of every head of `x` [batch, seq, heads, headDim]
 * (all of them unless the model uses partial rotary, as GPT-NeoX does): `x cos + rotate(x) sin`
 * where rotate maps each pair (a, b) to (−b, a).
 */
export function applyRotary(ctx: GraphContext, x: string, tables: RotaryTables, headDim: number): string {
  const { rotaryDim } = tables;
  const partial = rotaryDim < headDim;
  const rotated = partial ? slice(ctx, x, 0, rotaryDim, 3) : x;
  let turned: string;
  if (tables.style === "half") {
    const first = slice(ctx, rotated, 0, rotaryDim / 2, 3);
    const second = slice(ctx, rotated, rotaryDim / 2, rotaryDim, 3);
    turned = ctx.op("Concat", [ctx.op("Neg", [second]), first], { axis: -1 });
  } else {
    const pairs = ctx.op("Reshape", [rotated, ctx.ints([0, 0, 0, -1, 2])]);
    const even = slice(ctx, pairs, 0, 1, 4);
    const odd = slice(ctx, pairs, 1, 2, 4);
    const turnedPairs = ctx.op("Concat", [ctx.op("Neg", [odd]), even], { axis: -1 });
    turned = ctx.op("Reshape", [turnedPairs, ctx.ints([0, 0, 0, -1])]);
  }
  const result = ctx.op("Add", [ctx.op("Mul", [rotated, tables.cos]), ctx.op("Mul", [turned, tables.sin])]);
  return partial ? ctx.op("Concat", [result, slice(ctx, x, rotaryDim, headDim, 3)], { axis: -1 }) : result;
}

function slice(ctx: GraphContext, x: string, start: number, end: number, axis: number): string {
  return ctx.op("Slice", [x, ctx.ints([start]), ctx.ints([end]), ctx.ints([axis])]);
}
