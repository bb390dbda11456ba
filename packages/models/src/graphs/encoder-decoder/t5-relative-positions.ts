import type { GraphContext } from "../context.ts";

/** How a stack's self-attention buckets distances: both signs (encoder) or only the past (decoder). */
export interface T5BucketOptions {
  /** Encoder: keys before and after the query get separate halves of the buckets. */
  bidirectional: boolean;
  /** `relative_attention_num_buckets`. */
  numBuckets: number;
  /** `relative_attention_max_distance`. */
  maxDistance: number;
}

const f32 = Math.fround;

/**
 * The bucket of `relativePosition` (key position − query position), as Hugging Face's
 * `T5Attention._relative_position_bucket` computes it. Bidirectional: half the buckets for keys
 * after the query, the sign decides the half. Unidirectional: keys after the query fall in bucket 0
 * with the query itself (the causal mask hides them anyway). Distances below `maxExact` (half the
 * remaining buckets) get a bucket each; larger ones are log-spaced up to `maxDistance`, from where
 * they share the last bucket.
 *
 * The log branch runs in float32, as PyTorch runs it (`relative_position.float()`), because at
 * distances where the scaled log is a whole number in exact arithmetic (16, 32, 64 for T5's 32
 * buckets and 128) the rounding decides between two buckets. (For bucket counts 8–128 and maximum
 * distances 20–512, double arithmetic happens to give the same buckets.) `Math.log` rounded to
 * float32 is the correctly rounded float32 log; PyTorch's vectorised `logf` is within an ulp of it.
 */
export function t5RelativePositionBucket(relativePosition: number, options: T5BucketOptions): number {
  let numBuckets = options.numBuckets;
  let bucket = 0;
  let distance: number;
  if (options.bidirectional) {
    numBuckets = Math.trunc(numBuckets / 2);
    if (relativePosition > 0) bucket += numBuckets;
    distance = Math.abs(relativePosition);
  } else {
    distance = -Math.min(relativePosition, 0);
  }
  const maxExact = Math.trunc(numBuckets / 2);
  if (distance < maxExact) return bucket + distance;
  const logRatio = f32(Math.log(f32(distance / maxExact)));
  const logRange = f32(Math.log(options.maxDistance / maxExact));
  const scaled = f32(f32(logRatio / logRange) * (numBuckets - maxExact));
  return bucket + Math.min(maxExact + Math.trunc(scaled), numBuckets - 1);
}

/**
 * Buckets of every relative position from `-maxDistance` to `maxDistance`, in that order. Every
 * distance of at least `maxDistance` lands in the last bucket of its sign, so clipping a relative
 * position into this range and reading the table gives the bucket of any distance: the graph needs
 * no maximum sequence length.
 */
export function t5BucketTable(options: T5BucketOptions): BigInt64Array {
  const span = options.maxDistance;
  return BigInt64Array.from({ length: 2 * span + 1 }, (_, i) =>
    BigInt(t5RelativePositionBucket(i - span, options)),
  );
}

/**
 * The relative position bias [1, heads, queries, keys] added to self-attention scores:
 * `table[bucket(key − query)]` for the int64 1-D position vectors `queries` and `keys`, with
 * `table` the stack's `relative_attention_bias.weight` [buckets, heads] (a weight name). With a
 * cache, `queries` are the new positions `past ..< past + new`, as Hugging Face's `cache_position`.
 */
export function t5RelativePositionBias(
  ctx: GraphContext,
  input: { table: string; queries: string; keys: string; buckets: T5BucketOptions },
): string {
  const span = input.buckets.maxDistance;
  const g = ctx.builder;
  const relative = ctx.op("Sub", [
    ctx.op("Unsqueeze", [input.keys, ctx.ints([0])]),
    ctx.op("Unsqueeze", [input.queries, ctx.ints([1])]),
  ]);
  const clipped = ctx.op("Clip", [relative, g.constant([BigInt(-span)], []), g.constant([BigInt(span)], [])]);
  const index = ctx.op("Add", [clipped, g.constant([BigInt(span)], [])]);
  const bucketTable = g.constant(t5BucketTable(input.buckets), [2 * span + 1]);
  const buckets = ctx.op("Gather", [bucketTable, index], { axis: 0 });
  // [queries, keys, heads] → [1, heads, queries, keys], as Hugging Face's compute_bias permutes it.
  const perPair = ctx.op("Gather", [ctx.weight(input.table), buckets], { axis: 0 });
  return ctx.op("Unsqueeze", [ctx.op("Transpose", [perPair], { perm: [2, 0, 1] }), ctx.ints([0])]);
}
