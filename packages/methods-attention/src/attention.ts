import {
  type AttributionMethod,
  parseParameters,
  resolveSelection,
  selectionSchema,
  TokenscopeError,
} from "@tokenscope/core";
import { z } from "zod";
import { aggregate, aggregationSchema } from "./shared/aggregate.ts";
import {
  attentionAt,
  attentionCapabilities,
  attentionMaps,
  encoderAttentionAt,
} from "./shared/attention-maps.ts";
import { sequenceOutput } from "./shared/outputs.ts";

const parameters = z.strictObject({
  layers: selectionSchema.describe(
    'Layers read: "all", an index, a list, "0,2,5" or a half-open range "a:b" (negative indices count from the end).',
  ),
  heads: selectionSchema.describe("Heads read in every chosen layer, written like `layers`."),
  aggregate_heads: aggregationSchema.default("mean").describe("How the chosen heads' weights become one."),
  aggregate_layers: aggregationSchema.default("mean").describe("How the chosen layers' weights become one."),
});

/** Parameters of {@link attention}. */
export type AttentionParameters = z.output<typeof parameters>;

/** `attention`: the attention of each step's prediction position to each earlier token, aggregated. */
export const attention: AttributionMethod<AttentionParameters> = {
  id: "attention",
  family: "attention",
  summary: "Raw attention weights of the predicting position, over chosen layers and heads.",
  description:
    "Attention (as Inseq's `attention`): the attribution of target token t to position s is the attention " +
    "probability of the query at t's prediction position (the position whose logits predict t) to the key " +
    "at s, read in the chosen `layers` and `heads` and reduced first over heads (`aggregate_heads`) and then " +
    'over layers (`aggregate_layers`): "mean", "max", "min" or "absmax". The defaults are Inseq\'s: every ' +
    "layer and head, the mean over heads, then the mean over layers. With the mean over heads and " +
    "layers, a step's source and target-prefix attributions sum to 1. One forward pass of the full " +
    "sequence serves every step, since a causal model's attention at a position never sees later tokens. " +
    "On an encoder-decoder (as Inseq) the source attributions are the cross-attention of the step's decoder " +
    "position over the source (each step's sum to 1), the target-prefix ones its decoder self-attention " +
    "(the decoder start token's share is not shown), and `extras.encoderSelfAttention` [source × source] " +
    "holds the encoder's self-attention reduced in the same way over the same layer selection. " +
    "Attention is a description of the model's information routing, not a faithfulness guarantee " +
    "(Jain & Wallace 2019; Wiegreffe & Pinter 2019).",
  references: ["https://arxiv.org/abs/1902.10186", "https://arxiv.org/abs/1908.04626"],
  requires: attentionCapabilities,
  supports: { targetPrefix: true, contrastive: false, batching: true },
  parameters,
  async run(context) {
    const parsed = parseParameters(parameters, context.parameters, "attention");
    const { info } = context.model;
    const layers = resolveSelection(parsed.layers, info.numLayers, "layer", "attention");
    const heads = resolveSelection(parsed.heads, info.numHeads, "head", "attention");
    if (layers.length === 0 || heads.length === 0) {
      throw new TokenscopeError(
        "INVALID_PARAMETERS",
        "attention: the layer and head selections must not be empty.",
        {
          hint: 'Select at least one layer and one head (the default is "all").',
        },
      );
    }
    const encoderLayers = info.encoderDecoder
      ? resolveSelection(parsed.layers, info.encoderLayers ?? info.numLayers, "encoder layer", "attention")
      : [];
    const maps = await attentionMaps(context, layers, "attention", encoderLayers);
    const perHead = new Float64Array(heads.length);
    const reduce = (count: number, weight: (l: number, head: number) => number) => {
      const perLayer = new Float64Array(count);
      for (let l = 0; l < count; l++) {
        heads.forEach((head, h) => {
          perHead[h] = weight(l, head);
        });
        perLayer[l] = aggregate(perHead, parsed.aggregate_heads);
      }
      return aggregate(perLayer, parsed.aggregate_layers);
    };
    return context.sequences.map((sequence, index) => {
      const map = maps[index]!;
      const output = sequenceOutput(context, sequence, "attention", (query, key) =>
        reduce(layers.length, (l, head) => attentionAt(map, l, head, query, key)),
      );
      const split = map.encoderDecoder;
      if (split) {
        const s = split.sourceLength;
        const data = Array.from({ length: s * s }, (_, cell) =>
          reduce(encoderLayers.length, (l, head) =>
            encoderAttentionAt(split, l, head, Math.floor(cell / s), cell % s),
          ),
        );
        output.extras = { encoderSelfAttention: { dims: [s, s], data } };
      }
      return output;
    });
  },
};
