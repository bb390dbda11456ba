import {
  type AttributionMethod,
  parseParameters,
  resolveSelection,
  selectionSchema,
  TokenscopeError,
} from "@tokenscope/core";
import { z } from "zod";
import {
  type AttentionMaps,
  attentionAt,
  attentionCapabilities,
  attentionMaps,
} from "./shared/attention-maps.ts";
import { attributedSteps, sequenceOutput } from "./shared/outputs.ts";

const parameters = z.strictObject({
  layers: selectionSchema.describe(
    'Layers in the table: "all" (default), an index, a list or a range "a:b".',
  ),
  heads: selectionSchema.describe("Heads in the table, written like `layers`."),
});

/** Parameters of {@link attentionSummary}. */
export type AttentionSummaryParameters = z.output<typeof parameters>;

/**
 * One generated token's table: `weights[l][h][k]` is the attention of its
 * prediction position to decoder position k (0 ≤ k ≤ `query`) in layer
 * `layers[l]`, head `heads[h]`; `top[l][h]` is the position it attends to most.
 */
export interface LayerHeadTable {
  query: number;
  layers: number[];
  heads: number[];
  weights: number[][][];
  top: number[][];
}

/** The index of the largest value (the first on ties); a loop, since spreading long rows overflows. */
function argmax(values: readonly number[]): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if (values[index]! > values[best]!) best = index;
  return best;
}

function tableFor(map: AttentionMaps, layers: number[], heads: number[], query: number): LayerHeadTable {
  const weights = layers.map((_, l) =>
    heads.map((head) => Array.from({ length: query + 1 }, (_, key) => attentionAt(map, l, head, query, key))),
  );
  const top = weights.map((row) => row.map(argmax));
  return { query, layers, heads, weights, top };
}

/** `attention_summary`: per generated token, the attention of every chosen layer and head (in extras). */
export const attentionSummary: AttributionMethod<AttentionSummaryParameters> = {
  id: "attention_summary",
  family: "attention",
  summary: "Per generated token, a layer × head table of attention weights; the attribution is their mean.",
  description:
    "Attention summary (after LLM-Explainer's per-block, per-head views): for every attributed target token, " +
    "`extras.layerHeadTables[step]` holds a table over the chosen layers × heads of the attention of the " +
    "token's prediction position to every decoder position up to it (source, then target prefix), with the " +
    "most-attended position of each layer and head (`top`); steps not attributed hold null. The attribution " +
    "is the mean of the table over layers and heads, so a step's source and target-prefix attributions sum " +
    "to 1. One forward pass of the full sequence serves every step (the model is causal). On an encoder-decoder " +
    "the keys are the source (cross-attention) then the target prefix (decoder self-attention), as `attention`.",
  requires: attentionCapabilities,
  supports: { targetPrefix: true, contrastive: false, batching: true },
  parameters,
  async run(context) {
    const parsed = parseParameters(parameters, context.parameters, "attention_summary");
    const { info } = context.model;
    const layers = resolveSelection(parsed.layers, info.numLayers, "layer", "attention_summary");
    const heads = resolveSelection(parsed.heads, info.numHeads, "head", "attention_summary");
    if (layers.length === 0 || heads.length === 0) {
      throw new TokenscopeError(
        "INVALID_PARAMETERS",
        "attention_summary: the layer and head selections must not be empty.",
        { hint: 'Select at least one layer and one head (the default is "all").' },
      );
    }
    const maps = await attentionMaps(context, layers, "attention_summary");
    return context.sequences.map((sequence, index) => {
      const map = maps[index]!;
      const tables: (LayerHeadTable | null)[] = sequence.target.map(() => null);
      for (const step of attributedSteps(sequence, "attention_summary")) {
        tables[step] = tableFor(map, layers, heads, sequence.source.length + step - 1);
      }
      const output = sequenceOutput(context, sequence, "attention_summary", (_query, key, step) => {
        const table = tables[step]!;
        let sum = 0;
        for (const row of table.weights) for (const keys of row) sum += keys[key]!;
        return sum / (layers.length * heads.length);
      });
      output.extras = { layerHeadTables: tables };
      return output;
    });
  },
};
