import type { GraphContext } from "../context.ts";
import { encoderDecoderTensorNames as names } from "./tensor-names.ts";

/** A stack's token input: ids to look up, or embeddings fed as the tables hold them. */
export type StackTokens = { ids: string } | { embeds: string };

/**
 * The inputs every family's full encoder-decoder graph declares, in order: the source tokens
 * (`input_ids` int64 [batch, src], or `inputs_embeds` [batch, src, hidden] with `embeds`), the
 * source mask, the target tokens (`decoder_input_ids` / `decoder_inputs_embeds`) and the target
 * mask, all right-padded.
 */
export function fullGraphInputs(
  ctx: GraphContext,
  hiddenSize: number,
  embeds: boolean,
): { sourceTokens: StackTokens; sourceMask: string; targetTokens: StackTokens; targetMask: string } {
  const g = ctx.builder;
  const tokens = (ids: string, embedsName: string, length: string): StackTokens =>
    embeds
      ? { embeds: g.input(embedsName, ctx.dataType, ["batch", length, hiddenSize]) }
      : { ids: g.input(ids, "int64", ["batch", length]) };
  const sourceTokens = tokens(names.inputIds, names.inputsEmbeds, "src");
  const sourceMask = g.input(names.attentionMask, "int64", ["batch", "src"]);
  const targetTokens = tokens(names.decoderInputIds, names.decoderInputsEmbeds, "tgt");
  const targetMask = g.input(names.decoderAttentionMask, "int64", ["batch", "tgt"]);
  return { sourceTokens, sourceMask, targetTokens, targetMask };
}
