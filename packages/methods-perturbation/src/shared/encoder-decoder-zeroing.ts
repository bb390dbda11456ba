import {
  type DenseTensor,
  decoderInputIds,
  type Intervention,
  type LanguageModel,
  type MethodSequence,
  type MethodSequenceOutput,
  throwIfAborted,
} from "@tokenscope/core";
import { type HiddenDistance, hiddenDistance } from "./hidden-distance.ts";
import { batchResiduals, chunksOf } from "./residual-forward.ts";
import { combineLayers, type LayerCombination } from "./value-zeroing-plan.ts";
import type { ZeroedUnits } from "./zeroed-units.ts";

/** The three attentions of an encoder-decoder whose values can be zeroed, each with its own selection. */
export interface EncoderDecoderUnits {
  encoder: ZeroedUnits;
  decoder: ZeroedUnits;
  cross: ZeroedUnits;
}

/** What {@link encoderDecoderValueZeroing} needs besides the model and sequences. */
export interface EncoderDecoderZeroingOptions {
  units: EncoderDecoderUnits;
  /** The layer of the same stack whose output measures a zeroing in `layer`. */
  measureOf: { encoder(layer: number): number; decoder(layer: number): number };
  similarity: HiddenDistance;
  combination: LayerCombination;
  attributeTarget: boolean;
  /** Rows per forward call. */
  rows: number;
  signal?: AbortSignal;
  onProgress?: (completed: number, total: number) => void;
}

/** One sequence's inputs and scores: per zeroed layer of each part, a [rows, keys] buffer. */
interface SequenceWork {
  ids: number[];
  sourceLength: number;
  targetLength: number;
  steps: number[];
  cross: Float64Array[];
  decoder: Float64Array[];
  encoder: Float64Array[];
}

type Part = keyof EncoderDecoderUnits;

/** One perturbed row: `key` zeroed in `part`'s layer `units[part][unit].layer`. */
interface Job {
  sequence: number;
  part: Part;
  unit: number;
  /** Source position (encoder, cross) or target-prefix index (decoder, zeroing decoder position key + 1). */
  key: number;
}

function workOf(sequence: MethodSequence, units: EncoderDecoderUnits): SequenceWork {
  const steps = [...new Set(sequence.steps)].sort((a, b) => a - b);
  const lastStep = steps.at(-1) ?? 0;
  const sourceLength = sequence.source.length;
  const targetLength = sequence.target.length;
  return {
    // The decoder reads the start token and the target before the last attributed step.
    ids: decoderInputIds(sequence).slice(0, sourceLength + lastStep),
    sourceLength,
    targetLength,
    steps,
    cross: units.cross.map(() => new Float64Array(steps.length * sourceLength)),
    decoder: units.decoder.map(() => new Float64Array(steps.length * targetLength)),
    encoder: units.encoder.map(() => new Float64Array(sourceLength * sourceLength)),
  };
}

/** The hidden vector of batch row `row` at `position` of a [batch, positions, hidden] tensor, as an offset. */
function offsetOf(tensor: DenseTensor, row: number, position: number): number {
  return (row * tensor.dims[1]! + position) * tensor.dims[2]!;
}

/**
 * Value zeroing on an encoder-decoder, as Inseq's `value_zeroing` on one: three separate zeroings,
 * each selection its own (`units`). Cross-attention: zeroing source token s's cross-attention values
 * in decoder layer l moves the decoder state at a step's prediction position (measured after layer
 * `measureOf.decoder(l)`): the source attributions. Decoder self-attention: zeroing the decoder
 * position that reads target token p moves the later prediction positions: the target-prefix
 * attributions (with `attributeTarget`; the start token is not attributed). Encoder self-attention:
 * zeroing source token s in encoder layer l moves each source position's encoder state (after
 * `measureOf.encoder(l)`): `extras.encoderSelfScores` [source × source], row q the scores of the
 * tokens for source position q. Every part's rows are thresholded and normalised per layer and
 * averaged over its layers (`combination`); a part with no units scores 0.
 */
export async function encoderDecoderValueZeroing(
  model: LanguageModel,
  sequences: readonly MethodSequence[],
  options: EncoderDecoderZeroingOptions,
): Promise<MethodSequenceOutput[]> {
  const { units } = options;
  const work = sequences.map((sequence) => workOf(sequence, units));
  const active = work.flatMap((sequence, index) => (sequence.steps.length > 0 ? [index] : []));
  const measured = {
    encoder: [...new Set(units.encoder.map((unit) => options.measureOf.encoder(unit.layer)))],
    decoder: [
      ...new Set(
        [...units.cross, ...(options.attributeTarget ? units.decoder : [])].map((unit) =>
          options.measureOf.decoder(unit.layer),
        ),
      ),
    ],
  };
  const jobs: Job[] = active.flatMap((sequence) => {
    const { sourceLength, steps } = work[sequence]!;
    const lastStep = steps.at(-1)!;
    const perUnit = (part: Part, keys: number) =>
      units[part].flatMap((unit, index) =>
        unit.heads.length === 0
          ? []
          : Array.from({ length: keys }, (_, key) => ({ sequence, part, unit: index, key })),
      );
    return [
      ...perUnit("cross", sourceLength),
      ...(options.attributeTarget ? perUnit("decoder", lastStep) : []),
      ...perUnit("encoder", sourceLength),
    ];
  });
  const stackOf = (part: Part) => (part === "encoder" ? "encoder" : "decoder");
  const residuals = (rows: number[], stack: "encoder" | "decoder", interventions: Intervention[]) =>
    batchResiduals(
      model,
      rows.map((i) => work[i]!.ids),
      measured[stack],
      interventions,
      options.signal,
      { sourceLengths: rows.map((i) => work[i]!.sourceLength), stack },
    );
  // Clean states of each measured stack, one row per sequence.
  const clean = new Map<string, { tensor: DenseTensor; row: number }>();
  for (const stack of ["encoder", "decoder"] as const) {
    if (measured[stack].length === 0) continue;
    for (const chunk of chunksOf(active, options.rows)) {
      throwIfAborted(options.signal);
      const states = await residuals(chunk, stack, []);
      chunk.forEach((i, row) => {
        for (const layer of measured[stack]) {
          clean.set(`${stack}.${i}.${layer}`, { tensor: states.byLayer.get(layer)!, row });
        }
      });
    }
  }
  let completed = 0;
  for (const stack of ["decoder", "encoder"] as const) {
    const stackJobs = jobs.filter((job) => stackOf(job.part) === stack);
    for (const chunk of chunksOf(stackJobs, options.rows)) {
      throwIfAborted(options.signal);
      const changed = await residuals(
        chunk.map((job) => job.sequence),
        stack,
        chunk.map((job, row) => {
          const unit = units[job.part][job.unit]!;
          return {
            kind: "zeroValues" as const,
            stack: job.part,
            layer: unit.layer,
            heads: unit.heads,
            positions: [job.part === "decoder" ? job.key + 1 : job.key],
            batch: row,
          };
        }),
      );
      chunk.forEach((job, row) => {
        const layer = units[job.part][job.unit]!.layer;
        const measure =
          stack === "encoder" ? options.measureOf.encoder(layer) : options.measureOf.decoder(layer);
        const before = clean.get(`${stack}.${job.sequence}.${measure}`)!;
        const after = { tensor: changed.byLayer.get(measure)!, row };
        writeScores(work[job.sequence]!, job, before, after, options.similarity);
      });
      completed += chunk.length;
      options.onProgress?.(completed, jobs.length);
    }
  }
  return work.map((sequence) => outputOf(sequence, options));
}

/** Writes one job's distances: at each attributed step (cross, decoder) or each source position (encoder). */
function writeScores(
  sequence: SequenceWork,
  job: Job,
  before: { tensor: DenseTensor; row: number },
  after: { tensor: DenseTensor; row: number },
  similarity: HiddenDistance,
): void {
  const hidden = before.tensor.dims[2]!;
  const distanceAt = (position: number) =>
    hiddenDistance(
      similarity,
      before.tensor.data,
      offsetOf(before.tensor, before.row, position),
      after.tensor.data,
      offsetOf(after.tensor, after.row, position),
      hidden,
    );
  const { sourceLength: s, targetLength: t } = sequence;
  if (job.part === "encoder") {
    const scores = sequence.encoder[job.unit]!;
    for (let query = 0; query < s; query++) scores[query * s + job.key] = distanceAt(query);
    return;
  }
  sequence.steps.forEach((step, index) => {
    // Decoder position `step` predicts target token `step`; it sees target p only when p < step.
    if (job.part === "cross") sequence.cross[job.unit]![index * s + job.key] = distanceAt(step);
    else if (job.key < step) sequence.decoder[job.unit]![index * t + job.key] = distanceAt(step);
  });
}

function outputOf(sequence: SequenceWork, options: EncoderDecoderZeroingOptions): MethodSequenceOutput {
  const { sourceLength: s, targetLength: t, steps } = sequence;
  const everything = Number.POSITIVE_INFINITY;
  const cross = combineLayers(
    sequence.cross,
    { steps, keys: s, queries: steps.map(() => everything) },
    options.combination,
  );
  // Step `step` sees the target prefix 0 … step − 1 (combineLayers reads keys up to query + 1).
  const decoder = combineLayers(
    sequence.decoder,
    { steps, keys: t, queries: steps.map((step) => step - 1) },
    options.combination,
  );
  const sourceRows = Array.from({ length: s }, (_, q) => q);
  const encoder = combineLayers(
    sequence.encoder,
    { steps: sourceRows, keys: s, queries: sourceRows.map(() => everything) },
    options.combination,
  );
  const source = new Float64Array(t * s).fill(Number.NaN);
  const target = options.attributeTarget ? new Float64Array(t * t).fill(Number.NaN) : undefined;
  steps.forEach((step, index) => {
    source.set(cross.subarray(index * s, (index + 1) * s), step * s);
    if (target) for (let p = 0; p < step; p++) target[step * t + p] = decoder[index * t + p]!;
  });
  return {
    source: { dims: [t, s, 1], data: source },
    ...(target ? { target: { dims: [t, t, 1], data: target } } : {}),
    extras: { encoderSelfScores: { dims: [s, s], data: Array.from(encoder) } },
  };
}
