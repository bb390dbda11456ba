import type { AggregationStep } from "../aggregation/aggregate.ts";
import { getAggregator } from "../registry/registries.ts";

function stepId(step: AggregationStep): string {
  return typeof step === "string" ? step : step.id;
}

/**
 * The aggregation steps `attribute()` applies to one sequence, following Inseq:
 * per-dimension attributions are reduced by their L2 norm over the embedding
 * dimension, then each step is normalised over source and target-prefix cells.
 * The user's list replaces the default reduction; when it does not start with a
 * dimension reducer and there are several dimensions, "l2" goes first (scores
 * need one number per cell). "normalize" is appended unless `normalize` is
 * false or the list already has it. An explicit empty list over several
 * dimensions asks for no aggregation at all: nothing is applied, so the raw
 * tensors stay as the method returned them.
 */
export function aggregationSteps(
  requested: readonly AggregationStep[] | undefined,
  normalize: boolean,
  dims: number,
): AggregationStep[] {
  if (requested !== undefined && requested.length === 0 && dims > 1) return [];
  const steps: AggregationStep[] = requested ? [...requested] : dims > 1 ? ["l2"] : [];
  const first = steps[0];
  if (dims > 1 && (first === undefined || getAggregator(stepId(first)).kind !== "dimension")) {
    steps.unshift("l2");
  }
  if (normalize && !steps.some((step) => stepId(step) === "normalize")) steps.push("normalize");
  return steps;
}

/** True when `attribute()` leaves per-dimension attributions unreduced (an explicit empty list). */
export function keepsRawOnly(requested: readonly AggregationStep[] | undefined, dims: number): boolean {
  return requested !== undefined && requested.length === 0 && dims > 1;
}
