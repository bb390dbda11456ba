import {
  type AttributionMethod,
  createYieldPoint,
  parseParameters,
  resolveSelection,
  selectionSchema,
  TokenscopeError,
} from "@tokenscope/core";
import { z } from "zod";
import { attentionCapabilities, attentionMaps } from "./shared/attention-maps.ts";
import { encoderDecoderRollout } from "./shared/encoder-decoder-rollout.ts";
import { sequenceOutput } from "./shared/outputs.ts";
import { attentionRollout as rollout } from "./shared/rollout.ts";

const parameters = z.strictObject({
  layers: selectionSchema.describe(
    'Layers multiplied, in model order: "all" (default), an index, a list or a range "a:b".',
  ),
  attention_weight: z
    .number()
    .gt(0)
    .max(1)
    .default(0.5)
    .describe("Weight of the attention in each layer's matrix; the identity (residual) gets the rest."),
});

/** Parameters of {@link attentionRollout}. */
export type AttentionRolloutParameters = z.output<typeof parameters>;

/** `attention_rollout`: Abnar & Zuidema's product of residual-corrected, head-averaged attention. */
export const attentionRollout: AttributionMethod<AttentionRolloutParameters> = {
  id: "attention_rollout",
  family: "attention",
  summary: "Attention rollout: head-averaged attention plus identity, multiplied through the layers.",
  description:
    "Attention rollout (Abnar & Zuidema 2020): each chosen layer's attention is averaged over heads, mixed " +
    "with the identity for the residual connection (0.5·A + 0.5·I by default; `attention_weight` sets the " +
    "attention's share), its rows renormalised to sum to 1, and the layers multiplied from the first to the " +
    "last: R = Â_L ⋯ Â_1. The attribution of target token t to position s is R at (t's prediction position, " +
    "s), so a step's source and target-prefix attributions sum to 1. One forward pass of the full sequence " +
    "serves every step (the model is causal). On an encoder-decoder the rollout follows both stacks: the " +
    "encoder's self-attention (every encoder layer) gives R_E; through the chosen decoder layers each " +
    "decoder self-attention mixes the decoder states and each cross-attention block mixes in the encoder " +
    "output (w·C̄ beside (1 − w) of the residual), and the source share is carried back through R_E. The " +
    "source attributions and the target prefix then sum to 1 less the share of the decoder start token.",
  references: ["https://arxiv.org/abs/2005.00928"],
  requires: attentionCapabilities,
  supports: { targetPrefix: true, contrastive: false, batching: true },
  parameters,
  async run(context) {
    const parsed = parseParameters(parameters, context.parameters, "attention_rollout");
    const layers = resolveSelection(
      parsed.layers,
      context.model.info.numLayers,
      "layer",
      "attention_rollout",
    );
    if (layers.length === 0) {
      throw new TokenscopeError("INVALID_PARAMETERS", "attention_rollout: the layer selection is empty.", {
        hint: 'Select at least one layer (the default is "all").',
      });
    }
    const { info } = context.model;
    const encoderLayers = info.encoderDecoder
      ? Array.from({ length: info.encoderLayers ?? info.numLayers }, (_, layer) => layer)
      : [];
    const maps = await attentionMaps(context, layers, "attention_rollout", encoderLayers);
    const point = createYieldPoint(context.signal);
    const outputs = [];
    for (const [index, sequence] of context.sequences.entries()) {
      const map = maps[index]!;
      const split = map.encoderDecoder;
      if (split) {
        const rolled = await encoderDecoderRollout(
          { ...map, encoderDecoder: split },
          parsed.attention_weight,
          point,
        );
        const { sourceLength: s, decoderLength: d } = split;
        outputs.push(
          sequenceOutput(context, sequence, "attention_rollout", (query, key) => {
            const j = query - (s - 1);
            return key < s ? rolled.source[j * s + key]! : rolled.target[j * d + key - (s - 1)]!;
          }),
        );
        continue;
      }
      const matrix = await rollout(map, parsed.attention_weight, point);
      const n = map.length;
      outputs.push(
        sequenceOutput(context, sequence, "attention_rollout", (query, key) => matrix[query * n + key]!),
      );
    }
    return outputs;
  },
};
