import {
  type AttributeOptions,
  attribute,
  type LanguageModel,
  type ProgressCallback,
  TokenscopeError,
} from "@tokenscope/core";
import { evaluateResult } from "../evaluate/evaluate-result.ts";
import type { EvaluateOptions } from "../evaluate/types.ts";
import { plausibility, randomPlausibility } from "../plausibility/plausibility.ts";
import { runItems } from "../runner/run-items.ts";
import type { RunStore } from "../runner/types.ts";
import {
  attributeOptionsFor,
  type BenchmarkPlan,
  type BenchmarkPlanItem,
  itemMetricMeans,
  selectedSteps,
} from "./plan.ts";
import type { BenchmarkRow } from "./table.ts";

/**
 * The pseudo-method "random": importance = softmax of uniform noise, evaluated exactly as the
 * `rand_` baseline of every method (its values are that baseline, read from the first real method's
 * evaluation of each item, or from an attention attribution when no other method runs).
 */
export const RANDOM_METHOD = "random";

/** One method of a benchmark: a registered method id (or "random") and its parameters. */
export interface BenchmarkMethod {
  id: string;
  parameters?: Record<string, unknown>;
}

/** What one (method, item) pair produced: its metric values (with `rand_` baselines) and its time. */
export interface BenchmarkItemOutcome {
  method: string;
  item: string;
  metrics: Record<string, number>;
  seconds: number;
}

/** Options of {@link runBenchmark}. */
export interface RunBenchmarkOptions {
  plan: BenchmarkPlan;
  methods: readonly BenchmarkMethod[];
  model: LanguageModel;
  /** Where finished (method, item) pairs are kept: a resumed benchmark skips them. */
  store: RunStore<BenchmarkItemOutcome>;
  /** Settings of the evaluation (samples, seed, k, ...); the metrics come from the plan. */
  evaluate?: Omit<EvaluateOptions, "metrics" | "signal" | "onProgress">;
  /** Extra `attribute()` options for every item (attributed function, step scores, ...). */
  attribute?: Omit<AttributeOptions, "method" | "parameters" | "target" | "generation" | "steps" | "signal">;
  /** Settings recorded with the run (model id, options): a store holding another run refuses. */
  settings?: unknown;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** The rows of a finished benchmark, one per method, for `benchmarkTable`. */
export interface BenchmarkOutcome {
  rows: BenchmarkRow[];
  /** (method, item) pairs run now, and those found finished in the store. */
  ran: number;
  skipped: number;
}

function stepValues(report: Awaited<ReturnType<typeof evaluateResult>>, steps: readonly number[]) {
  const wanted = new Set(steps);
  return (report.sequences[0]?.steps ?? [])
    .filter((step) => wanted.has(step.step))
    .map((step) =>
      Object.fromEntries(
        Object.entries(step).filter(
          (entry): entry is [string, number] =>
            entry[0] !== "step" && entry[0] !== "target" && typeof entry[1] === "number",
        ),
      ),
    );
}

/**
 * Runs a benchmark plan for every method on one model, through the resumable runner: each (method,
 * item) pair attributes the item (`attribute()` with the plan's target and steps), then evaluates the
 * plan's steps — the faithfulness metrics with their random baselines for analogies and sequences,
 * plausibility (F1, IOU, AUPRC against the human rationale, with a random-importance baseline) for
 * plausibility — and keeps the item's means. Returns one row per method, in the order given.
 */
export async function runBenchmark(options: RunBenchmarkOptions): Promise<BenchmarkOutcome> {
  const { plan, model } = options;
  if (options.methods.length === 0) {
    throw new TokenscopeError("INVALID_INPUT", "A benchmark needs at least one method.", {
      hint: "Pass e.g. --methods saliency,integrated_gradients,random.",
    });
  }
  const real = options.methods.filter((method) => method.id !== RANDOM_METHOD);
  // "random" reads the rand_ columns of a real method's evaluation; with none, attention supplies one.
  const carrier: BenchmarkMethod = real[0] ?? { id: "attention" };
  const runs: BenchmarkMethod[] = real.length > 0 ? [...real] : [carrier];
  const tasks = runs.flatMap((method) => plan.items.map((item) => ({ method, item })));

  const work = async (
    { method, item }: { method: BenchmarkMethod; item: BenchmarkPlanItem },
    _index: number,
    signal: AbortSignal,
  ): Promise<BenchmarkItemOutcome> => {
    const started = performance.now();
    const result = await attribute(model, item.prompt, {
      ...options.attribute,
      method: method.id,
      ...(method.parameters ? { parameters: method.parameters } : {}),
      ...attributeOptionsFor(item),
      signal,
    });
    const sequence = result.sequences[0]!;
    let metrics: Record<string, number>;
    if (plan.benchmark === "plausibility") {
      const rationale = item.rationale ?? [];
      const scores = plausibility(sequence, 0, rationale);
      const random = randomPlausibility(sequence, rationale, { seed: options.evaluate?.seed ?? 0 });
      metrics = {
        ...scores,
        ...Object.fromEntries(Object.entries(random).map(([id, value]) => [`rand_${id}`, value])),
      } as Record<string, number>;
    } else {
      const report = await evaluateResult(result, model, {
        ...options.evaluate,
        metrics: [...plan.metrics],
        signal,
      });
      metrics = itemMetricMeans(stepValues(report, selectedSteps(item.steps, sequence.target.length)));
    }
    return { method: method.id, item: item.id, metrics, seconds: (performance.now() - started) / 1000 };
  };

  const outcome = await runItems({
    items: tasks,
    key: ({ method, item }) =>
      `${method.id}${method.parameters ? JSON.stringify(method.parameters) : ""}:${item.id}`,
    work,
    store: options.store,
    settings: {
      benchmark: plan.benchmark,
      metrics: plan.metrics,
      methods: runs,
      settings: options.settings ?? null,
    },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const outputs: BenchmarkItemOutcome[] = [];
  for await (const output of outcome.outputs()) outputs.push(output);
  const rowOf = (
    methodId: string,
    pick: (o: BenchmarkItemOutcome) => Record<string, number>,
    source: string,
  ) => {
    const outs = outputs.filter((o) => o.method === source);
    const metrics: Record<string, number[]> = {};
    for (const out of outs) {
      for (const [id, value] of Object.entries(pick(out))) {
        metrics[id] ??= [];
        metrics[id].push(value);
      }
    }
    return { method: methodId, metrics, seconds: outs.map((o) => o.seconds) };
  };
  const rows = options.methods.map((method) =>
    method.id === RANDOM_METHOD
      ? rowOf(
          RANDOM_METHOD,
          (o) =>
            Object.fromEntries(
              Object.entries(o.metrics)
                .filter(([id]) => id.startsWith("rand_"))
                .flatMap(([id, value]) => [
                  [id.slice(5), value],
                  [id, value],
                ]),
            ),
          carrier.id,
        )
      : rowOf(method.id, (o) => o.metrics, method.id),
  );
  return { rows, ran: outcome.ran, skipped: outcome.skipped };
}
