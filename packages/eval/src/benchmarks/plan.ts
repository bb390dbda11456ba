import type { AttributeOptions } from "@tokenscope/core";
import type { AnalogyItem } from "./analogies.ts";
import type { LambadaItem } from "./lambada.ts";
import { checkSequenceOptions, sequenceDefaults, strideSteps } from "./sequences.ts";

/** The three benchmarks of issue 14 (ReAGent's two experiments and plausibility on annotated LAMBADA). */
export type BenchmarkId = "analogies" | "sequences" | "plausibility";

/**
 * Which target steps of an item are evaluated: the first target token ("first": the analogy's
 * target word, or LAMBADA's last word, whose first token is what the rationale explains), every
 * `stride`-th generated token (ReAGent's sequence experiment) or all of them.
 */
export type StepSelection = { kind: "first" } | { kind: "all" } | { kind: "stride"; stride: number };

/** What the model is attributed on: a forced target, or a greedy continuation. */
export type BenchmarkTarget = { kind: "forced"; text: string } | { kind: "generate"; maxNewTokens: number };

/** One item of a benchmark: what to attribute and which steps to evaluate. */
export interface BenchmarkPlanItem {
  /** Stable id (a runner's item key: a resumed benchmark skips finished ids). */
  id: string;
  prompt: string;
  target: BenchmarkTarget;
  steps: StepSelection;
  /** Plausibility only: human rationale spans, [start, end) character offsets into `prompt`. */
  rationale?: [number, number][];
}

/**
 * A benchmark as data: its items and the metrics evaluated on each (each with its `rand_` baseline
 * computed the same way). Running it is: for every method, attribute every item (the runner), evaluate
 * the selected steps (the metrics), average per item, and put one row per method into
 * `benchmarkTable`.
 */
export interface BenchmarkPlan {
  benchmark: BenchmarkId;
  items: BenchmarkPlanItem[];
  /** Metric ids evaluated per step, in table order. */
  metrics: readonly string[];
}

/** The metrics ReAGent reports for its analogies and sequence-level experiments. */
export const faithfulnessBenchmarkMetrics = ["soft_ns", "soft_nc"] as const;

/** The metrics of the plausibility benchmark (see `plausibilityMetrics`). */
export const plausibilityBenchmarkMetrics = ["f1", "iou", "auprc"] as const;

/**
 * The analogies benchmark over prepared (and filtered) items: each prompt attributed on its forced
 * target (" " + the target word), the first target step evaluated, as ReAGent attributes the one
 * target token after the prompt.
 */
export function analogiesPlan(
  items: readonly AnalogyItem[],
  metrics: readonly string[] = faithfulnessBenchmarkMetrics,
): BenchmarkPlan {
  return {
    benchmark: "analogies",
    metrics,
    items: items.map((item) => ({
      id: item.id,
      prompt: item.prompt,
      target: { kind: "forced", text: item.targetText },
      steps: { kind: "first" },
    })),
  };
}

/** Options of {@link sequencesPlan}. */
export interface SequencesPlanOptions {
  /** Evaluate every stride-th generated token (default 1, ReAGent's). */
  stride?: number;
  /** Tokens to generate greedily per prompt (default 10, ReAGent's). */
  maxNewTokens?: number;
  /** Prefix of item ids (default "sequences"): ids are `${prefix}/${line index}`. */
  idPrefix?: string;
  metrics?: readonly string[];
}

/**
 * ReAGent's sequence-level experiment: each prompt continued greedily by `maxNewTokens` tokens,
 * every generated token attributed (over the prompt and the tokens before it) and every
 * `stride`-th one evaluated; a sequence's value is the mean over its evaluated steps.
 */
export function sequencesPlan(prompts: readonly string[], options: SequencesPlanOptions = {}): BenchmarkPlan {
  checkSequenceOptions(options);
  const stride = options.stride ?? sequenceDefaults.stride;
  const maxNewTokens = options.maxNewTokens ?? sequenceDefaults.maxNewTokens;
  const prefix = options.idPrefix ?? "sequences";
  return {
    benchmark: "sequences",
    metrics: options.metrics ?? faithfulnessBenchmarkMetrics,
    items: prompts.map((prompt, index) => ({
      id: `${prefix}/${index}`,
      prompt,
      target: { kind: "generate", maxNewTokens },
      steps: stride === 1 ? { kind: "all" } : { kind: "stride", stride },
    })),
  };
}

/**
 * The plausibility benchmark on annotated LAMBADA: each passage's context attributed on its forced
 * last word, the first target step compared with the human rationale.
 */
export function plausibilityPlan(
  items: readonly LambadaItem[],
  metrics: readonly string[] = plausibilityBenchmarkMetrics,
): BenchmarkPlan {
  return {
    benchmark: "plausibility",
    metrics,
    items: items.map((item) => ({
      id: item.id,
      prompt: item.prompt,
      target: { kind: "forced", text: item.targetText },
      steps: { kind: "first" },
      rationale: item.rationale.map(([start, end]) => [start, end] as [number, number]),
    })),
  };
}

/** The target steps a {@link StepSelection} picks in a target of `targetLength` tokens. */
export function selectedSteps(selection: StepSelection, targetLength: number): number[] {
  if (targetLength <= 0) return [];
  switch (selection.kind) {
    case "first":
      return [0];
    case "all":
      return strideSteps(targetLength, 1);
    case "stride":
      return strideSteps(targetLength, selection.stride);
  }
}

/**
 * The `attribute()` options that realise one plan item (to merge with the method, its parameters and
 * the attributed function): the forced target or greedy generation, and the step range to attribute
 * (only the first step for "first"; every step otherwise, since ReAGent attributes every generated
 * token and a stride is chosen at evaluation).
 */
export function attributeOptionsFor(
  item: BenchmarkPlanItem,
): Pick<AttributeOptions, "target" | "generation" | "steps"> {
  const steps = item.steps.kind === "first" ? { steps: { start: 0, end: 1 } } : {};
  return item.target.kind === "forced"
    ? { target: item.target.text, ...steps }
    : { generation: { maxNewTokens: item.target.maxNewTokens }, ...steps };
}

/**
 * One item's value per metric: the mean over its evaluated steps of each metric (and `rand_`
 * baseline) value, as ReAGent averages a sequence's steps. Non-finite step values are skipped; a
 * metric with none is NaN.
 */
export function itemMetricMeans(steps: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const sums = new Map<string, { sum: number; count: number }>();
  for (const step of steps) {
    for (const [id, value] of Object.entries(step)) {
      const entry = sums.get(id) ?? { sum: 0, count: 0 };
      if (Number.isFinite(value)) {
        entry.sum += value;
        entry.count++;
      }
      sums.set(id, entry);
    }
  }
  return Object.fromEntries([...sums].map(([id, { sum, count }]) => [id, count ? sum / count : Number.NaN]));
}
