import {
  type AttributionMethod,
  assertCapabilities,
  type DenseTensor,
  parseParameters,
  selectionSchema,
  TokenscopeError,
  throwIfAborted,
} from "@tokenscope/core";
import { z } from "zod";
import { encoderDecoderValueZeroing } from "./shared/encoder-decoder-zeroing.ts";
import { rowsWithinBudget, valueZeroingRowBytes } from "./shared/memory-budget.ts";
import { batchSizeParameter } from "./shared/parameters.ts";
import { batchResiduals, chunksOf } from "./shared/residual-forward.ts";
import { combineLayers, writeDistances, zeroingOutput, zeroingPlan } from "./shared/value-zeroing-plan.ts";
import { resolveZeroedUnits, zeroedUnitsSchema } from "./shared/zeroed-units.ts";

const parameters = z.strictObject({
  layers: selectionSchema.describe(
    'Layers whose value vectors are zeroed, one layer at a time: "all" (default), an index, a list, "0,2" or a ' +
      'range "a:b" (negative indices count from the end). An empty list zeroes nothing: every score is 0.',
  ),
  heads: selectionSchema.describe(
    "Query heads whose value vectors are zeroed in each chosen layer, written like `layers`; an empty list zeroes nothing.",
  ),
  measure_layer: z
    .union([z.enum(["last", "zeroed"]), z.number().int()])
    .default("zeroed")
    .describe(
      'Where the change is measured: the residual stream after the "zeroed" layer itself (default, as ' +
        'Mohebbi et al. and Inseq), after the "last" layer, or after a given layer index (negative from the end).',
    ),
  similarity: z
    .enum(["cosine", "euclidean"])
    .default("cosine")
    .describe('"cosine": score = 1 − cosine similarity of the hidden states; "euclidean": their distance.'),
  min_score: z
    .number()
    .nonnegative()
    .default(1e-5)
    .describe(
      "Per layer, distances below this are set to 0 before the layer's row is normalised (Inseq's " +
        "min_score_threshold, 1e-5); 0 keeps every distance.",
    ),
  normalize_layers: z
    .boolean()
    .default(true)
    .describe(
      "Divide each (step, layer) row by its sum over the attributed positions before the mean over layers " +
        "(default, as Inseq); false: the raw distances are averaged.",
    ),
  decoder_zeroed_units: zeroedUnitsSchema
    .optional()
    .describe(
      "Per layer, the heads whose values are zeroed in the (decoder) self-attention, as Inseq's " +
        'decoder_zeroed_units_indices: { "0": "all", "3": [1, 2] } zeroes only those; {} zeroes ' +
        "nothing. Absent: `layers` × `heads`.",
    ),
  encoder_zeroed_units: zeroedUnitsSchema
    .optional()
    .describe(
      "Encoder-decoder models: per encoder layer, the heads zeroed in the encoder self-attention (Inseq's " +
        "encoder_zeroed_units_indices); scored in extras.encoderSelfScores. Absent: `layers` × `heads`.",
    ),
  cross_zeroed_units: zeroedUnitsSchema
    .optional()
    .describe(
      "Encoder-decoder models: per decoder layer, the heads zeroed in the cross-attention (Inseq's " +
        "cross_zeroed_units_indices); these give the source attributions. Absent: `layers` × `heads`.",
    ),
  batch_size: batchSizeParameter,
});

/** Parameters of {@link valueZeroing}. */
export type ValueZeroingParameters = z.output<typeof parameters>;

const requires = ["forward", "interventions.valueZeroing", "taps.residual"] as const;

function measureLayerOf(measure: ValueZeroingParameters["measure_layer"], numLayers: number) {
  if (measure === "zeroed") return (layer: number) => layer;
  if (measure === "last") return () => numLayers - 1;
  const layer = measure < 0 ? numLayers + measure : measure;
  if (layer < 0 || layer >= numLayers) {
    throw new TokenscopeError(
      "INVALID_PARAMETERS",
      `value_zeroing: measure_layer ${measure} is outside the model's ${numLayers} layers.`,
      { hint: 'Give "last", "zeroed" or a layer index (negative indices count from the end).' },
    );
  }
  return () => layer;
}

/** The longest row (source plus target) of `sequences`. */
function longestOf(sequences: readonly { source: unknown[]; target: unknown[] }[]): number {
  return Math.max(1, ...sequences.map((sequence) => sequence.source.length + sequence.target.length));
}

/**
 * `value_zeroing`: how much each layer's output at the predicting position moves when a token's values
 * in that layer are zeroed, thresholded and normalised per layer, then averaged over layers (Inseq's
 * defaults).
 */
export const valueZeroing: AttributionMethod<ValueZeroingParameters> = {
  id: "value_zeroing",
  family: "perturbation",
  summary: "Change of the predicting position's hidden state when a token's value vectors are zeroed.",
  description:
    "Value zeroing (Mohebbi et al. 2023), with the defaults of Inseq's `value_zeroing`: for each chosen layer " +
    "(all by default) and each attributed position s (source and, with target-prefix attribution, earlier " +
    "target positions), the value vectors of s in that layer (in the chosen `heads`, all by default) are set " +
    "to zero, so no position reads s through that layer's attention while s's own residual stream is " +
    "untouched. The score of s for step t in that layer is the change of the hidden state at t's prediction " +
    "position, as 1 − cosine similarity or Euclidean distance (`similarity`), measured by default at the " +
    'output of the zeroed layer itself ("zeroed", as the paper and Inseq: Inseq zeroes s in every layer in ' +
    "one pass but patches each block's output back to the clean state, so every layer is measured on clean " +
    "inputs, which is what zeroing one layer at a time and measuring at its output gives); " +
    '"last" measures after the last layer and an index after that layer. Then, as Inseq, per (step, layer): ' +
    "scores below `min_score` (1e-5) become 0 and, with `normalize_layers` (default), the row is divided by " +
    "its sum over the attributed positions (a row of zeros stays zeros); the rows are averaged over the " +
    "chosen layers. With target-prefix attribution the attributed positions are the step's whole prefix, as " +
    "in Inseq, which always attributes it; without, the source positions only. One difference from Inseq: " +
    "its last layer is compared after the model's final norm (Hugging Face's last hidden state), ours " +
    "(the residual stream after the last block) before it, because the model interface taps no final-norm " +
    "output; the norm's weights change cosines and distances, so the last layer's row can differ. " +
    '`{ measure_layer: "last", normalize_layers: false, min_score: 0 }` gives the plain mean distance after ' +
    "the last layer. One forward pass of the full sequence per (layer, position) serves every step, since a " +
    "causal model's state at t never sees later tokens; the sequences of one call share those passes, " +
    "`batch_size` rows per call. Scores are ≥ 0: they say how much the prediction's representation relies " +
    "on s, not in which direction. `decoder_zeroed_units` chooses heads per layer (Inseq's " +
    "decoder_zeroed_units_indices; layers left out are not zeroed nor averaged). On an encoder-decoder, as " +
    "Inseq, three zeroings are scored separately, each with its own selection: the cross-attention " +
    "(`cross_zeroed_units`: zeroing a source token's cross-attention values in a decoder layer, measured on " +
    "the decoder state at the step's position) gives the source attributions; the decoder self-attention " +
    "(`decoder_zeroed_units`) the target-prefix ones (the decoder start token is not attributed); the " +
    "encoder self-attention (`encoder_zeroed_units`, measured on the encoder states) gives " +
    "`extras.encoderSelfScores` [source × source]. `{}` zeroes nothing in that part: its scores are 0.",
  references: ["https://arxiv.org/abs/2301.12971"],
  requires,
  supports: { targetPrefix: true, contrastive: false, batching: true },
  parameters,
  async run(context) {
    const parsed = parseParameters(parameters, context.parameters, "value_zeroing");
    const { model } = context;
    assertCapabilities(model, requires, 'Method "value_zeroing"');
    const { numLayers, numHeads } = model.info;
    const fallback = { layers: parsed.layers, heads: parsed.heads };
    const unitsOf = (units: typeof parsed.decoder_zeroed_units, layerCount: number, name: string) =>
      resolveZeroedUnits(units, fallback, { layers: layerCount, heads: numHeads }, "value_zeroing", name);
    const decoderUnits = unitsOf(parsed.decoder_zeroed_units, numLayers, "decoder_zeroed_units");
    if (model.info.encoderDecoder) {
      const encoderLayers = model.info.encoderLayers ?? numLayers;
      const rows = rowsWithinBudget(
        model.info,
        { length: longestOf(context.sequences), logitPositions: 1, embeddings: false },
        parsed.batch_size,
        context.memoryBudgetBytes,
        "value_zeroing",
        valueZeroingRowBytes(model.info, longestOf(context.sequences), Math.max(numLayers, encoderLayers)),
      );
      return encoderDecoderValueZeroing(model, context.sequences, {
        units: {
          encoder: unitsOf(parsed.encoder_zeroed_units, encoderLayers, "encoder_zeroed_units"),
          decoder: decoderUnits,
          cross: unitsOf(parsed.cross_zeroed_units, numLayers, "cross_zeroed_units"),
        },
        measureOf: {
          encoder: measureLayerOf(parsed.measure_layer, encoderLayers),
          decoder: measureLayerOf(parsed.measure_layer, numLayers),
        },
        similarity: parsed.similarity,
        combination: { minScore: parsed.min_score, normalizeLayers: parsed.normalize_layers },
        attributeTarget: context.attributeTarget,
        rows,
        ...(context.signal ? { signal: context.signal } : {}),
        onProgress: (completed, total) => context.onProgress?.({ phase: "value_zeroing", completed, total }),
      });
    }
    if (parsed.encoder_zeroed_units !== undefined || parsed.cross_zeroed_units !== undefined) {
      throw new TokenscopeError(
        "INVALID_PARAMETERS",
        `value_zeroing: encoder_zeroed_units and cross_zeroed_units need an encoder-decoder model; ${model.info.id} is decoder-only.`,
        {
          hint: "Use decoder_zeroed_units (or layers and heads) to choose what is zeroed in a decoder-only model.",
        },
      );
    }
    const layers = decoderUnits.map((unit) => unit.layer);
    const headsOf = new Map(decoderUnits.map((unit) => [unit.layer, unit.heads]));
    const measureOf = measureLayerOf(parsed.measure_layer, numLayers);
    const plans = context.sequences.map((sequence) => zeroingPlan(sequence, context.attributeTarget));
    // One [step, key] buffer per chosen layer: Inseq thresholds and normalises each layer before the mean.
    const perLayer = plans.map((plan) => layers.map(() => new Float64Array(plan.steps.length * plan.keys)));
    const finish = () =>
      plans.map((plan, index) =>
        zeroingOutput(
          plan,
          combineLayers(perLayer[index]!, plan, {
            minScore: parsed.min_score,
            normalizeLayers: parsed.normalize_layers,
          }),
          context.attributeTarget,
        ),
      );
    const active = plans.flatMap((plan, index) => (plan.steps.length > 0 ? [index] : []));
    const longest = Math.max(1, ...plans.map((plan) => plan.ids.length));
    if (layers.length === 0) return finish();
    const measureLayers = [...new Set(layers.map(measureOf))];
    // Every row returns the residuals of the measured layers; the longest row is checked before
    // the first call, so a run that cannot fit the budget never starts.
    const rows = rowsWithinBudget(
      model.info,
      { length: longest, logitPositions: 1, embeddings: false },
      parsed.batch_size,
      context.memoryBudgetBytes,
      "value_zeroing",
      valueZeroingRowBytes(model.info, longest, measureLayers.length),
    );
    // Clean states: one row per sequence.
    const clean = new Map<number, { tensor: DenseTensor; row: number }[]>();
    for (const chunk of chunksOf(active, rows)) {
      throwIfAborted(context.signal);
      const states = await batchResiduals(
        model,
        chunk.map((i) => plans[i]!.ids),
        measureLayers,
        [],
        context.signal,
      );
      chunk.forEach((i, row) => {
        clean.set(
          i,
          measureLayers.map((layer) => ({ tensor: states.byLayer.get(layer)!, row })),
        );
      });
    }
    // Every (sequence, layer, key) perturbation of the attribution, in calls of `rows` rows; each row
    // zeroes its own layer and key (a per-row zeroValues intervention).
    const jobs = active.flatMap((i) =>
      layers.flatMap((layer, layerIndex) =>
        Array.from({ length: plans[i]!.keys }, (_, key) => ({ sequence: i, layer, layerIndex, key })),
      ),
    );
    let completed = 0;
    for (const chunk of chunksOf(jobs, rows)) {
      throwIfAborted(context.signal);
      const changed = await batchResiduals(
        model,
        chunk.map((job) => plans[job.sequence]!.ids),
        measureLayers,
        chunk.map((job, row) => ({
          kind: "zeroValues" as const,
          layer: job.layer,
          positions: [job.key],
          batch: row,
          ...(headsOf.get(job.layer)!.length === numHeads ? {} : { heads: headsOf.get(job.layer)! }),
        })),
        context.signal,
      );
      chunk.forEach((job, row) => {
        const measure = measureOf(job.layer);
        const cleanState = clean.get(job.sequence)![measureLayers.indexOf(measure)]!;
        writeDistances(
          perLayer[job.sequence]![job.layerIndex]!,
          plans[job.sequence]!,
          job.key,
          cleanState,
          { tensor: changed.byLayer.get(measure)!, row },
          parsed.similarity,
        );
      });
      completed += chunk.length;
      context.onProgress?.({ phase: "value_zeroing", completed, total: jobs.length });
    }
    return finish();
  },
};
