import { castTo, type GraphContext } from "../context.ts";

/**
 * Which keys each query may attend to, bool [batch, 1, seq, total], built once from
 * `attentionMask` (int64 [batch, total]): key index ≤ query index (causal), and the key is a real
 * token or the query itself. The diagonal keeps every row non-empty, so a padding query attends to
 * itself instead of spreading uniformly over the whole row (which would reach later tokens and
 * break causality); real queries never see it, their diagonal key is real. With `slidingWindow`
 * a query sees only the last `slidingWindow` indices (itself included), as Mistral's mask does.
 *
 * Without `newTokens` the queries are all `total` positions. With a KV cache, `newTokens` is a
 * [batch, seq] input of the new positions (`position_ids`): the queries are then the last `seq`
 * indices of the mask, `total - seq ..< total`, so the causal comparison is offset by the past.
 */
export function attentionAllowed(
  ctx: GraphContext,
  attentionMask: string,
  slidingWindow?: number,
  newTokens?: string,
): string {
  const lengthOf = (x: string) =>
    ctx.op("Gather", [ctx.op("Shape", [x]), ctx.builder.constant([1n], [])], { axis: 0 });
  const one = ctx.builder.constant([1n], []);
  const total = lengthOf(attentionMask);
  const indices = ctx.op("Range", [ctx.builder.constant([0n], []), total, one]);
  const queryIndices =
    newTokens === undefined
      ? indices
      : ctx.op("Range", [ctx.op("Sub", [total, lengthOf(newTokens)]), total, one]);
  const queries = ctx.op("Unsqueeze", [queryIndices, ctx.ints([1])]);
  const keys = ctx.op("Unsqueeze", [indices, ctx.ints([0])]);
  let causal = ctx.op("LessOrEqual", [keys, queries]);
  if (slidingWindow !== undefined) {
    const distance = ctx.op("Sub", [queries, keys]);
    const inWindow = ctx.op("Less", [distance, ctx.builder.constant([BigInt(slidingWindow)], [])]);
    causal = ctx.op("And", [causal, inWindow]);
  }
  const diagonal = ctx.op("Equal", [keys, queries]);
  const realKeys = ctx.op("Unsqueeze", [
    ctx.op("Cast", [attentionMask], { to: castTo.bool }),
    ctx.ints([1, 2]),
  ]);
  return ctx.op("And", [causal, ctx.op("Or", [realKeys, diagonal])]);
}
