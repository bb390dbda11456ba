import {
  type DenseTensor,
  decoderInputIds,
  type MethodSequence,
  type MethodSequenceOutput,
  stepPosition,
  TokenscopeError,
} from "@tokenscope/core";
import { type HiddenDistance, hiddenDistance } from "./hidden-distance.ts";

/** What value zeroing does for one sequence. */
export interface ZeroingPlan {
  /** Decoder ids up to the last attributed step's prediction position: later tokens are never input. */
  ids: number[];
  sourceLength: number;
  targetLength: number;
  /** Attributed steps, sorted, and the prediction position of each. */
  steps: number[];
  queries: number[];
  /** Positions 0 … keys − 1 are zeroed in turn (source, and the target prefix when attributed). */
  keys: number;
}

/** The plan of one sequence; throws INVALID_INPUT for a step outside the target. */
export function zeroingPlan(sequence: MethodSequence, attributeTarget: boolean): ZeroingPlan {
  const steps = [...new Set(sequence.steps)].sort((a, b) => a - b);
  for (const step of steps) {
    if (!Number.isInteger(step) || step < 0 || step >= sequence.target.length) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `value_zeroing: step ${step} is outside the target's ${sequence.target.length} tokens.`,
        { hint: "Steps are indices into the target tokens." },
      );
    }
  }
  const queries = steps.map((step) => stepPosition(sequence, step));
  const lastQuery = queries.length > 0 ? queries[queries.length - 1]! : -1;
  const sourceLength = sequence.source.length;
  return {
    ids: decoderInputIds(sequence).slice(0, lastQuery + 1),
    sourceLength,
    targetLength: sequence.target.length,
    steps,
    queries,
    keys: attributeTarget ? lastQuery + 1 : Math.min(sourceLength, lastQuery + 1),
  };
}

/** The hidden vector of batch row `row` at `position` in a [batch, length, hidden] tensor, as an offset. */
function offsetOf(tensor: DenseTensor, row: number, position: number): number {
  const [, length, hidden] = tensor.dims as [number, number, number];
  return (row * length + position) * hidden;
}

/**
 * Writes the distance between the clean and the changed hidden state at each
 * step's prediction position as the step's score of `key`, in one layer's
 * scores. A step whose prediction comes before `key` cannot see it and keeps 0.
 */
export function writeDistances(
  layerScores: Float64Array,
  plan: ZeroingPlan,
  key: number,
  clean: { tensor: DenseTensor; row: number },
  changed: { tensor: DenseTensor; row: number },
  distance: HiddenDistance,
): void {
  const hidden = clean.tensor.dims[2]!;
  plan.queries.forEach((query, index) => {
    if (query < key) return;
    layerScores[index * plan.keys + key] = hiddenDistance(
      distance,
      clean.tensor.data,
      offsetOf(clean.tensor, clean.row, query),
      changed.tensor.data,
      offsetOf(changed.tensor, changed.row, query),
      hidden,
    );
  });
}

/** How {@link combineLayers} turns per-layer distances into one score. */
export interface LayerCombination {
  /** Distances below this become 0 (Inseq's min_score_threshold, 1e-5). */
  minScore: number;
  /** Divide each (step, layer) row by its sum over the step's visible keys before the mean (Inseq). */
  normalizeLayers: boolean;
}

/**
 * The mean over layers of each layer's [step, key] distances, after Inseq's
 * post-processing per (step, layer) row: scores below `minScore` set to 0 and,
 * with `normalizeLayers`, the row divided by its sum over the keys the step can
 * see (keys up to its prediction position; a row summing to 0 stays 0).
 */
export function combineLayers(
  perLayer: readonly Float64Array[],
  plan: Pick<ZeroingPlan, "steps" | "keys" | "queries">,
  options: LayerCombination,
): Float64Array {
  const combined = new Float64Array(plan.steps.length * plan.keys);
  if (perLayer.length === 0) return combined;
  const row = new Float64Array(plan.keys);
  for (const layerScores of perLayer) {
    plan.queries.forEach((query, index) => {
      const visible = Math.min(plan.keys, query + 1);
      let sum = 0;
      for (let key = 0; key < visible; key++) {
        const score = layerScores[index * plan.keys + key]!;
        row[key] = score < options.minScore ? 0 : score;
        sum += row[key]!;
      }
      const divisor = options.normalizeLayers && sum > 0 ? sum : 1;
      for (let key = 0; key < visible; key++)
        combined[index * plan.keys + key]! += row[key]! / divisor / perLayer.length;
    });
  }
  return combined;
}

/**
 * [target, source, 1] attributions (and [target, target, 1] with
 * `attributeTarget`) from a plan's scores; steps not attributed, and target
 * cells at or after their step, are NaN.
 */
export function zeroingOutput(
  plan: ZeroingPlan,
  scores: Float64Array,
  attributeTarget: boolean,
): MethodSequenceOutput {
  const { sourceLength, targetLength } = plan;
  const source = new Float64Array(targetLength * sourceLength).fill(Number.NaN);
  const target = attributeTarget ? new Float64Array(targetLength * targetLength).fill(Number.NaN) : undefined;
  plan.steps.forEach((step, index) => {
    for (let s = 0; s < sourceLength; s++)
      source[step * sourceLength + s] = scores[index * plan.keys + s] ?? 0;
    if (target) {
      for (let u = 0; u < step; u++)
        target[step * targetLength + u] = scores[index * plan.keys + sourceLength + u]!;
    }
  });
  const output: MethodSequenceOutput = { source: { dims: [targetLength, sourceLength, 1], data: source } };
  if (target) output.target = { dims: [targetLength, targetLength, 1], data: target };
  return output;
}
