import {
  type LanguageModel,
  type MethodSequence,
  type MethodSequenceOutput,
  parseParameters,
} from "@tokenscope/core";
import { integratedGradients } from "../src/index.ts";
import { median } from "./table.ts";

/** Completeness error of one integrated-gradients run over its steps. */
export interface CompletenessError {
  /** |Σ attributions − (f(x) − f(x′))| / |f(x) − f(x′)|: largest and median over the steps. */
  maxRelative: number;
  medianRelative: number;
  /** Largest |Σ attributions − (f(x) − f(x′))| over the steps. */
  maxAbsolute: number;
  /** Smallest |f(x) − f(x′)| over the steps: a tiny one inflates the relative error. */
  minChange: number;
  /** Steps whose delta is not finite (left out of the figures above). */
  nonFinite: number;
}

/**
 * The completeness error of an integrated-gradients output from its own step scores: `deltas`
 * (Σ attributions − (f(x) − f(x′)), summed by the method over every position and dimension), the
 * attributed function's values f(x) and `extras.baselineScores` f(x′).
 */
export function completenessError(
  output: MethodSequenceOutput,
  attributedFunction: string,
): CompletenessError {
  const deltas = output.stepScores?.["deltas"];
  const inputScores = output.stepScores?.[attributedFunction];
  const baselineScores = output.extras?.["baselineScores"] as (number | null)[] | undefined;
  if (!deltas || !inputScores || !baselineScores) throw new Error("the output has no deltas or scores");
  const relative: number[] = [];
  let maxAbsolute = 0;
  let minChange = Number.POSITIVE_INFINITY;
  let nonFinite = 0;
  deltas.forEach((delta, step) => {
    if (!Number.isFinite(delta)) {
      nonFinite += 1;
      return;
    }
    const change = Math.abs(inputScores[step]! - baselineScores[step]!);
    relative.push(Math.abs(delta) / change);
    maxAbsolute = Math.max(maxAbsolute, Math.abs(delta));
    minChange = Math.min(minChange, change);
  });
  return {
    maxRelative: Math.max(...relative),
    medianRelative: median(relative),
    maxAbsolute,
    minChange,
    nonFinite,
  };
}

/**
 * Integrated gradients of `sequence` with the attributed function "probability" and the given
 * parameters (n_steps, baseline, ...), through the method's own `run`.
 */
export async function runIntegratedGradients(
  model: LanguageModel,
  sequence: MethodSequence,
  parameters: Record<string, unknown>,
  attributeTarget: boolean,
): Promise<MethodSequenceOutput> {
  const [output] = await integratedGradients.run({
    model,
    sequences: [sequence],
    parameters: parseParameters(integratedGradients.parameters, parameters, integratedGradients.id),
    attributedFunction: { id: "probability", parameters: {} },
    attributeTarget,
  });
  return output!;
}

/** One row of the completeness table. */
export interface CompletenessRow {
  baseline: string;
  /** Points per step; for an adaptive run (`tolerance`), the text "adaptive …" with the points used. */
  points: number | string;
  error: CompletenessError;
  ms: number;
}

/** The completeness error of `sequence` for every baseline and number of points (Gauss–Legendre). */
export async function completenessSweep(
  model: LanguageModel,
  sequence: MethodSequence,
  baselines: readonly string[],
  pointCounts: readonly number[],
  onRow?: (row: CompletenessRow) => void,
): Promise<CompletenessRow[]> {
  const rows: CompletenessRow[] = [];
  for (const baseline of baselines) {
    for (const points of pointCounts) {
      const started = performance.now();
      const output = await runIntegratedGradients(model, sequence, { n_steps: points, baseline }, false);
      const row = {
        baseline,
        points,
        error: completenessError(output, "probability"),
        ms: performance.now() - started,
      };
      rows.push(row);
      onRow?.(row);
    }
  }
  return rows;
}

/**
 * The adaptive mode (`tolerance`) from `firstPoints` Gauss–Legendre points for every baseline: its
 * error and the points each step used (median and largest, from `extras.points`).
 */
export async function adaptiveRows(
  model: LanguageModel,
  sequence: MethodSequence,
  baselines: readonly string[],
  firstPoints: number,
  tolerance: number,
  onRow?: (row: CompletenessRow) => void,
): Promise<CompletenessRow[]> {
  const rows: CompletenessRow[] = [];
  for (const baseline of baselines) {
    const started = performance.now();
    const output = await runIntegratedGradients(
      model,
      sequence,
      { n_steps: firstPoints, baseline, tolerance },
      false,
    );
    const used = ((output.extras?.["points"] ?? []) as (number | null)[]).filter((value) => value !== null);
    const row = {
      baseline,
      points: `adaptive ${tolerance} from ${firstPoints}: median ${median(used)}, max ${Math.max(...used)}`,
      error: completenessError(output, "probability"),
      ms: performance.now() - started,
    };
    rows.push(row);
    onRow?.(row);
  }
  return rows;
}
