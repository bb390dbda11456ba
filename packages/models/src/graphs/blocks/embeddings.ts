import type { GraphContext } from "../context.ts";
import { decoderTensorNames } from "../tensor-names.ts";

/** Where the token embeddings come from: looked up from ids, or fed directly. */
export type TokenInput = { kind: "ids"; ids: string } | { kind: "embeds"; embeds: string };

/**
 * The residual stream entering layer 0, named `embeddings` [batch, seq, hidden]: the token
 * embeddings (a Gather from `tokenTable`, or `inputs_embeds` as fed), plus learned position
 * embeddings gathered at `position_ids` when the model has them (GPT-2). Fed embeddings replace the
 * token lookup only, as Hugging Face's `inputs_embeds` does.
 */
export function embeddings(
  ctx: GraphContext,
  input: TokenInput,
  tokenTable: string,
  learnedPositions?: { table: string; positionIds: string },
): string {
  const name = decoderTensorNames.embeddings;
  const lookup = (table: string, indices: string, output?: string) =>
    ctx.op("Gather", [ctx.weight(table), indices], { axis: 0 }, output);
  if (learnedPositions === undefined) {
    return input.kind === "ids"
      ? lookup(tokenTable, input.ids, name)
      : ctx.op("Identity", [input.embeds], {}, name);
  }
  const tokens = input.kind === "ids" ? lookup(tokenTable, input.ids) : input.embeds;
  return ctx.op("Add", [tokens, lookup(learnedPositions.table, learnedPositions.positionIds)], {}, name);
}
