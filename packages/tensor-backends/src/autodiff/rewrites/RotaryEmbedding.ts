/**
 * com.microsoft.RotaryEmbedding: rotates pairs of each head's first R dims by position-dependent
 * angles read from cos/sin caches [max_positions, R/2]. Input [B, S, hidden] or [B, N, S, H];
 * position_ids [B, S], or one offset p (positions p, p+1, ...). Pairs are (i, i + R/2), or adjacent
 * (2m, 2m+1) when `interleaved`; dims past R pass through. Rewritten with Gather/Slice/Mul/Concat.
 */
import type { ContribRewrite, RewriteContext } from "./types.ts";

/** What to rotate: values [..., R], cos/sin tables broadcasting to [..., R/2], and R/2 as a 1-D int64 tensor. */
export interface Rotation {
  x: string;
  cos: string;
  sin: string;
  half: string;
}

/** Rotate pairs (i, i + R/2). */
export function rotateHalves(ctx: RewriteContext, { x, cos, sin, half }: Rotation): string {
  const last = ctx.int64s([-1]);
  const first = ctx.op("Slice", [x, ctx.int64s([0]), half, last]);
  const second = ctx.op("Slice", [x, half, ctx.op("Mul", [half, ctx.int64s([2])]), last]);
  const out1 = ctx.op("Sub", [ctx.op("Mul", [first, cos]), ctx.op("Mul", [second, sin])]);
  const out2 = ctx.op("Add", [ctx.op("Mul", [second, cos]), ctx.op("Mul", [first, sin])]);
  return ctx.op("Concat", [out1, out2], { axis: -1 });
}

/** Rotate adjacent pairs (2m, 2m + 1). */
export function rotatePairs(ctx: RewriteContext, { x, cos, sin, half }: Rotation): string {
  const shape = ctx.op("Shape", [x]);
  const lead = ctx.op("Slice", [shape, ctx.int64s([0]), ctx.int64s([-1])]);
  const pairs = ctx.op("Reshape", [x, ctx.op("Concat", [lead, half, ctx.int64s([2])], { axis: 0 })]);
  const pick = (index: number) =>
    ctx.op("Squeeze", [
      ctx.op("Slice", [pairs, ctx.int64s([index]), ctx.int64s([index + 1]), ctx.int64s([-1])]),
      ctx.int64s([-1]),
    ]);
  const [even, odd] = [pick(0), pick(1)];
  const outEven = ctx.op("Sub", [ctx.op("Mul", [even, cos]), ctx.op("Mul", [odd, sin])]);
  const outOdd = ctx.op("Add", [ctx.op("Mul", [odd, cos]), ctx.op("Mul", [even, sin])]);
  const stacked = ctx.op(
    "Concat",
    [ctx.op("Unsqueeze", [outEven, ctx.int64s([-1])]), ctx.op("Unsqueeze", [outOdd, ctx.int64s([-1])])],
    { axis: -1 },
  );
  return ctx.op("Reshape", [stacked, shape]);
}

/** Positions [B|1, S] from position_ids (full, or one offset). */
function positions(ctx: RewriteContext, ids: string, sequence: string): string | undefined {
  const rank = ctx.rankOf(ids);
  if (rank === 2) return ids;
  if (rank !== 0 && rank !== 1) return undefined;
  const scalar = (value: number) => ctx.constant([value], "int64", []);
  const offset = ctx.op("Reshape", [ids, ctx.int64s([])]);
  const steps = ctx.op("Range", [offset, ctx.op("Add", [offset, sequence]), scalar(1)]);
  return ctx.op("Unsqueeze", [steps, ctx.int64s([0])]);
}

/** Rewrite of com.microsoft.RotaryEmbedding. */
export const rotaryEmbeddingRewrite: ContribRewrite = {
  opType: "RotaryEmbedding",
  domains: ["com.microsoft"],
  rewrite(ctx) {
    const [input, ids, cosCache, sinCache] = ctx.node.inputs as [string, string, string, string];
    const rank = ctx.rankOf(input);
    if (rank !== 3 && rank !== 4) return false;
    const numHeads = ctx.attr.int("num_heads", 0);
    const rotaryDim = ctx.attr.int("rotary_embedding_dim", 0);
    const inputShape = ctx.op("Shape", [input]);
    const sequence = ctx.op("Gather", [inputShape, ctx.constant([rank === 3 ? 1 : 2], "int64", [])], {
      axis: 0,
    });
    const at = positions(ctx, ids, sequence);
    if (at === undefined) return false;
    const half = ctx.op("Slice", [ctx.op("Shape", [cosCache]), ctx.int64s([1]), ctx.int64s([2])]);
    // Heads axis next to the rotated axis: [B, S, N, H] for 3-D inputs, [B, N, S, H] already for 4-D.
    let heads = input;
    if (rank === 3) {
      const headSize = numHeads > 0 ? ctx.int64s([-1]) : ctx.op("Mul", [half, ctx.int64s([2])]);
      const shape =
        numHeads > 0
          ? ctx.op("Concat", [ctx.int64s([0, 0, numHeads]), headSize], { axis: 0 })
          : ctx.op("Concat", [ctx.int64s([0, 0, -1]), headSize], { axis: 0 });
      heads = ctx.op("Reshape", [input, shape]);
    }
    const table = (cache: string) =>
      ctx.op("Unsqueeze", [ctx.op("Gather", [cache, at], { axis: 0 }), ctx.int64s([rank === 3 ? 2 : 1])]);
    const interleaved = ctx.attr.int("interleaved", 0) === 1;
    const partial = rotaryDim > 0;
    const rotated = partial
      ? ctx.op("Slice", [heads, ctx.int64s([0]), ctx.int64s([rotaryDim]), ctx.int64s([-1])])
      : heads;
    const rotation = { x: rotated, cos: table(cosCache), sin: table(sinCache), half };
    let result = interleaved ? rotatePairs(ctx, rotation) : rotateHalves(ctx, rotation);
    if (partial) {
      const rest = ctx.op("Slice", [
        heads,
        ctx.int64s([rotaryDim]),
        ctx.int64s([Number.MAX_SAFE_INTEGER]),
        ctx.int64s([-1]),
      ]);
      result = ctx.op("Concat", [result, rest], { axis: -1 });
    }
    ctx.op(
      rank === 3 ? "Reshape" : "Identity",
      rank === 3 ? [result, inputShape] : [result],
      {},
      ctx.node.outputs[0]!,
    );
    return true;
  },
};
