import { type AttributionMethod, parseParameters } from "@tokenscope/core";
import { z } from "zod";
import { attentionAt, attentionCapabilities, attentionMaps } from "./shared/attention-maps.ts";
import { sequenceOutput } from "./shared/outputs.ts";

const parameters = z.strictObject({});

/** Parameters of {@link attentionLast} (none). */
export type AttentionLastParameters = z.output<typeof parameters>;

/** `attention_last`: last-layer attention of each step's prediction position, mean over heads. */
export const attentionLast: AttributionMethod<AttentionLastParameters> = {
  id: "attention_last",
  family: "attention",
  summary: "Last-layer attention of the predicting position, averaged over heads.",
  description:
    "Last-layer attention: the attribution of target token t to position s is the attention probability of " +
    "the query at t's prediction position to the key at s in the model's last layer, averaged over its " +
    "heads. It is `attention` with layers -1 and the mean over heads, kept as its own id because it is the " +
    "common quick look. A step's source and target-prefix attributions sum to 1. One forward pass of the " +
    "full sequence serves every step (the model is causal). On an encoder-decoder it reads the last decoder " +
    "layer's cross-attention for the source and its self-attention for the target prefix (as `attention`). No parameters.",
  requires: attentionCapabilities,
  supports: { targetPrefix: true, contrastive: false, batching: true },
  parameters,
  async run(context) {
    parseParameters(parameters, context.parameters, "attention_last");
    const last = context.model.info.numLayers - 1;
    const maps = await attentionMaps(context, [last], "attention_last");
    return context.sequences.map((sequence, index) => {
      const map = maps[index]!;
      return sequenceOutput(context, sequence, "attention_last", (query, key) => {
        let sum = 0;
        for (let head = 0; head < map.heads; head++) sum += attentionAt(map, 0, head, query, key);
        return sum / map.heads;
      });
    });
  },
};
