import type { GraphContext } from "../context.ts";
import { decoderTensorNames } from "../tensor-names.ts";
import { linear } from "./linear.ts";

/** Where the token embeddings come from: looked up from ids, or fed directly. */
export type TokenInput = { kind: "ids"; ids: string } | { kind: "embeds"; embeds: string };

/**
 * The residual stream entering layer 0, named `embeddings` [batch, seq, hidden]: the token
 * embeddings (a Gather from `tokenTable`, or `inputs_embeds` as fed), plus learned position
 * embeddings gathered at `position_ids` (plus `offset` rows: OPT's 2) when the model has them
 * (GPT-2, OPT). Fed embeddings replace the
 * token lookup only, as Hugging Face's `inputs_embeds` does. With `tokenScale` (Gemma's
 * `sqrt(hidden)` normalizer) the token rows, looked up or fed, are multiplied by it: fed
 * embeddings are unscaled table rows, as in transformers and as BART's `scaleEmbedding` here.
 * With `projectIn` (opt-350m's [hidden, wordEmbeddingSize] matrix) the token rows are widened
 * to the hidden size before the positions are added, as `OPTDecoder` does.
 */
export function embeddings(
  ctx: GraphContext,
  input: TokenInput,
  tokenTable: string,
  learnedPositions?: { table: string; positionIds: string; offset?: number },
  tokenScale?: number,
  projectIn?: string,
): string {
  const name = decoderTensorNames.embeddings;
  const lookup = (table: string, indices: string, output?: string) =>
    ctx.op("Gather", [ctx.weight(table), indices], { axis: 0 }, output);
  // The token rows are the stream itself when nothing is added or scaled.
  const plain = learnedPositions === undefined && tokenScale === undefined && projectIn === undefined;
  const looked =
    input.kind === "ids"
      ? lookup(tokenTable, input.ids, plain ? name : undefined)
      : plain
        ? ctx.op("Identity", [input.embeds], {}, name)
        : input.embeds;
  if (plain) return looked;
  const rows =
    projectIn === undefined ? looked : linear(ctx, looked, { weight: projectIn, layout: "out-in" });
  const scaled =
    tokenScale === undefined
      ? rows
      : ctx.op("Mul", [rows, ctx.float(tokenScale)], {}, learnedPositions === undefined ? name : undefined);
  if (learnedPositions === undefined) return scaled;
  const { table, positionIds, offset } = learnedPositions;
  const rowIds =
    offset === undefined || offset === 0
      ? positionIds
      : ctx.op("Add", [positionIds, ctx.builder.constant([BigInt(offset)], [])]);
  return ctx.op("Add", [scaled, lookup(table, rowIds)], {}, name);
}
