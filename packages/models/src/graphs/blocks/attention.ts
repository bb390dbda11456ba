import type { GraphContext } from "../context.ts";
import { attentionProbsName, valuesName } from "../tensor-names.ts";

/** Names of one layer's KV cache: graph inputs `past_*` and outputs `present_*` (option `kvCache`). */
export interface AttentionCache {
  /** [batch, kvHeads, past, headDim], after rotary. */
  pastKey: string;
  /** [batch, kvHeads, past, headDim]. */
  pastValue: string;
  /** Output name of the past and new keys [batch, kvHeads, past + seq, headDim]. */
  presentKey: string;
  /** Output name of the past and new values [batch, kvHeads, past + seq, headDim]. */
  presentValue: string;
}

/** The inputs of one attention layer's core, in head layout. */
export interface AttentionInputs {
  layer: number;
  /** [batch, seq, heads, headDim], rotary already applied. */
  queries: string;
  /** [batch, seq, kvHeads, headDim], rotary already applied. */
  keys: string;
  /** [batch, seq, kvHeads, headDim]. */
  values: string;
  numHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  /** bool [batch, 1, seq, keys] from `attentionAllowed` (keys: seq, or past + seq with a cache). */
  allowed: string;
  /** float [batch, heads, keys]: `value_mask.{layer}`, when value zeroing is on. */
  valueMask?: string;
  /** The layer's KV cache, when the graph decodes incrementally. */
  cache?: AttentionCache;
  /** Factor of the query-key dot products; default `headDim^-0.5` (Gemma 2: `query_pre_attn_scalar^-0.5`). */
  scoreScale?: number;
  /** Gemma 2's soft cap of the scaled scores, `cap · tanh(s / cap)` before the mask; absent: none. */
  scoreSoftcap?: number;
}

/** Large negative score for masked keys: exp underflows to exactly 0 in float32 and float64, no NaN. */
const MASKED_SCORE = -1e9;

/**
 * Scaled dot-product attention with grouped-query heads, returning [batch, seq, heads × headDim].
 *
 * Grouped-query attention without copying K and V per query head: the `group` query heads that share
 * a key/value head are stacked along the query axis ([batch, kvHeads, group × seq, headDim]), so one
 * plain batched MatMul against [batch, kvHeads, headDim, seq] scores them all; a reshape then views
 * the scores as [batch, heads, seq, seq]. The masked softmax over keys is the tensor
 * `attention_probs.{layer}`, and the value vectors [batch, kvHeads, seq, headDim] are
 * `values.{layer}`, both on the computation path so they can be differentiated.
 *
 * Value zeroing multiplies `value_mask.{layer}` into the probabilities' key axis:
 * Σ_s p[t,s] (m[s] v[s]) = Σ_s (p[t,s] m[s]) v[s], the same as masking each query head's view of the
 * value vectors, without materialising one copy of V per query head.
 *
 * With a cache the new keys and values are appended to the past ones along the sequence axis
 * (`present_key.{layer}`, and `values.{layer}` = `present_value.{layer}`), and the new queries score
 * all of them; `allowed` carries the causal offset. Everything downstream is shape-agnostic.
 */
export function attention(ctx: GraphContext, inputs: AttentionInputs): string {
  const { numHeads, numKeyValueHeads, headDim } = inputs;
  const group = numHeads / numKeyValueHeads;
  const groupedQueries = ctx.op("Reshape", [
    ctx.op(
      "Transpose",
      [ctx.op("Reshape", [inputs.queries, ctx.ints([0, 0, numKeyValueHeads, group, headDim])])],
      {
        perm: [0, 2, 3, 1, 4],
      },
    ),
    ctx.ints([0, 0, -1, headDim]),
  ]);
  const { keysT, values } = keysAndValues(ctx, inputs);
  const scaled = ctx.op("Mul", [
    ctx.op("MatMul", [groupedQueries, keysT]),
    ctx.float(inputs.scoreScale ?? 1 / Math.sqrt(headDim)),
  ]);
  const scores = inputs.scoreSoftcap === undefined ? scaled : softcap(ctx, scaled, inputs.scoreSoftcap);
  const perHead = ctx.op("Reshape", [scores, ctx.ints([0, numHeads, -1, 0])]);
  const masked = ctx.op("Where", [inputs.allowed, perHead, ctx.float(MASKED_SCORE)]);
  let probs = ctx.op("Softmax", [masked], { axis: -1 }, attentionProbsName(inputs.layer));
  if (inputs.valueMask !== undefined) {
    probs = ctx.op("Mul", [probs, ctx.op("Unsqueeze", [inputs.valueMask, ctx.ints([2])])]);
  }
  const grouped = ctx.op("Reshape", [probs, ctx.ints([0, numKeyValueHeads, -1, 0])]);
  const context = ctx.op("MatMul", [grouped, values]);
  const perQueryHead = ctx.op("Reshape", [context, ctx.ints([0, 0, group, -1, headDim])]);
  return ctx.op("Reshape", [
    ctx.op("Transpose", [perQueryHead], { perm: [0, 3, 1, 2, 4] }),
    ctx.ints([0, 0, numHeads * headDim]),
  ]);
}

/**
 * Gemma 2's soft capping, `cap · tanh(x / cap)`: close to `x` for |x| ≪ cap, never beyond ±cap
 * (attention scores before the mask, and the final logits).
 */
export function softcap(ctx: GraphContext, x: string, cap: number, output?: string): string {
  const squashed = ctx.op("Tanh", [ctx.op("Mul", [x, ctx.float(1 / cap)])]);
  return ctx.op("Mul", [squashed, ctx.float(cap)], {}, output);
}

/**
 * The keys transposed for scoring, [batch, kvHeads, headDim, keys], and the value vectors
 * `values.{layer}` [batch, kvHeads, keys, headDim]: the new ones alone, or appended to the cache.
 */
function keysAndValues(ctx: GraphContext, inputs: AttentionInputs): { keysT: string; values: string } {
  const valuesOutput = valuesName(inputs.layer);
  const { cache } = inputs;
  if (cache === undefined) {
    return {
      keysT: ctx.op("Transpose", [inputs.keys], { perm: [0, 2, 3, 1] }),
      values: ctx.op("Transpose", [inputs.values], { perm: [0, 2, 1, 3] }, valuesOutput),
    };
  }
  const headsFirst = (x: string) => ctx.op("Transpose", [x], { perm: [0, 2, 1, 3] });
  const present = ctx.op("Concat", [cache.pastKey, headsFirst(inputs.keys)], { axis: 2 }, cache.presentKey);
  const values = ctx.op("Concat", [cache.pastValue, headsFirst(inputs.values)], { axis: 2 }, valuesOutput);
  // A graph output needs its own name; values.{layer} keeps the stable tap name.
  ctx.op("Identity", [values], {}, cache.presentValue);
  return { keysT: ctx.op("Transpose", [present], { perm: [0, 1, 3, 2] }), values };
}

/** Views [batch, seq, heads × headDim] as [batch, seq, heads, headDim]. */
export function splitHeads(ctx: GraphContext, x: string, heads: number, headDim: number): string {
  return ctx.op("Reshape", [x, ctx.ints([0, 0, heads, headDim])]);
}
