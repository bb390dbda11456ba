import {
  assertCapabilities,
  createYieldPoint,
  type MethodContext,
  type MethodSequenceOutput,
  type YieldPoint,
} from "@tokenscope/core";
import { attributedFunctionOf } from "./attributed-function.ts";
import { baselineInputs } from "./baselines.ts";
import { contrastRows, longestRowOf, promptPositions } from "./contrast-rows.ts";
import { evaluateRows } from "./forward-rows.ts";
import { checkForwardBudget } from "./memory-budget.ts";
import { createOutputs } from "./outputs.ts";
import type { Baseline } from "./parameters.ts";
import { type StepTask, stepTasks } from "./step-tasks.ts";
import type { UnitOptions } from "./units.ts";

/**
 * What a coalition method asks of one attributed step: the coalitions to
 * evaluate (0/1 per feature, 1 = present; the full input is always evaluated
 * besides them) and how to turn their values into one score per feature.
 * Coalitions are handed out one at a time, when their row is built, so a plan
 * can keep them compactly (a matrix, or the orders they come from).
 */
export interface CoalitionPlan {
  /** Number of coalitions. */
  count: number;
  /** Coalition `k` (0 ≤ k < count); may be a view that the next call overwrites. */
  coalition(k: number): ArrayLike<number>;
  /**
   * `values[k]` is f of coalition k; `full` is f of the unperturbed input. Long fits pause at
   * `point` so that Ctrl-C is seen.
   */
  scores(values: Float64Array, full: number, point: YieldPoint): Promise<ArrayLike<number>>;
  /** Optional per-step extras, computed from the same values (after {@link CoalitionPlan.scores}). */
  extras?(values: Float64Array, full: number): Record<string, number>;
}

/** Options of {@link runCoalitions}. */
export interface CoalitionRunOptions {
  methodId: string;
  units: Omit<UnitOptions, "owner">;
  baseline: Baseline;
  includeSpecial: boolean;
  batchSize: number;
  /**
   * Builds the plan of one step; may throw (e.g. too many features) before any forward pass. A plan
   * that draws many samples pauses at `point`.
   */
  plan(task: StepTask, point: YieldPoint): CoalitionPlan | Promise<CoalitionPlan>;
}

/**
 * Runs a coalition method (occlusion, feature ablation, LIME, Shapley values,
 * KernelSHAP): every step's features, every coalition of every step and
 * sequence as one stream of perturbed inputs through {@link evaluateRows}
 * (batches of `batchSize` rows mixing steps and sequences), then each plan's
 * scores written to the [target, source] and [target, target] outputs.
 */
export async function runCoalitions(
  context: MethodContext<unknown>,
  options: CoalitionRunOptions,
): Promise<MethodSequenceOutput[]> {
  const owner = `Method "${options.methodId}"`;
  const { model } = context;
  assertCapabilities(model, ["forward"], owner);
  const attributed = attributedFunctionOf(context);
  const tasks = stepTasks(context, {
    units: { ...options.units, owner },
    includeSpecial: options.includeSpecial,
  });
  const longestRow = longestRowOf(tasks, attributed);
  // Before drawing samples or embedding baselines: a run whose longest row (contrast rows
  // included) cannot fit the budget makes no model call. "zero" and "mean" baselines send
  // embeddings (see baselines.ts).
  checkForwardBudget(
    options.methodId,
    model.info,
    {
      length: longestRow,
      logitPositions: 1,
      embeddings: options.baseline === "zero" || options.baseline === "mean",
    },
    context.memoryBudgetBytes,
  );
  // Drawing samples, and later fitting surrogates, runs for seconds at the limits: pause for Ctrl-C.
  const point = createYieldPoint(context.signal);
  const plans: CoalitionPlan[] = [];
  for (const task of tasks) {
    plans.push(await options.plan(task, point));
    if (point.due()) await point.pause();
  }
  const inputs = await baselineInputs(model, options.baseline, tasks, owner);
  const contrast = await contrastRows(model, attributed, tasks, {
    batchSize: options.batchSize,
    memoryBudgetBytes: context.memoryBudgetBytes,
    method: options.methodId,
    signal: context.signal,
  });

  const offsets: number[] = [];
  let count = 0;
  for (const plan of plans) {
    offsets.push(count);
    count += 1 + plan.count;
  }
  const taskOfRow = new Int32Array(count);
  plans.forEach((plan, index) => {
    taskOfRow.fill(index, offsets[index]!, offsets[index]! + 1 + plan.count);
  });

  const taskAt = (row: number) => tasks[taskOfRow[row]!]!;
  // The decoder positions row `row` perturbs: none for a step's full input (its first row). Kept
  // for the last row asked: its contrast row is built right after it, from the same coalition.
  let last = { row: -1, absent: [] as number[] };
  const absentAt = (row: number): number[] => {
    if (last.row === row) return last.absent;
    const index = taskOfRow[row]!;
    const k = row - offsets[index]! - 1;
    const coalition = k >= 0 ? plans[index]!.coalition(k) : undefined;
    const absent = coalition
      ? tasks[index]!.features.filter((_, feature) => coalition[feature] === 0).flat()
      : [];
    last = { row, absent };
    return absent;
  };
  const values = await evaluateRows({
    model,
    count,
    batchSize: options.batchSize,
    memoryBudgetBytes: context.memoryBudgetBytes,
    method: options.methodId,
    longestRow,
    embeddings: inputs.embeddings,
    signal: context.signal,
    rowAt(row) {
      const task = taskAt(row);
      return inputs.row(task, absentAt(row));
    },
    // A contrast input sharing the prompt loses the same prompt positions; the target-prefix
    // positions perturbed are the original side's tokens only.
    contrastRowAt(row) {
      const task = taskAt(row);
      return contrast.row(task, (ids) =>
        inputs.row(task, promptPositions(absentAt(row), task.sourceLength), ids),
      );
    },
    read(logits, row, contrastLogits) {
      const task = taskAt(row);
      return attributed.evaluate(logits, task.targetId, contrast.side(task, contrastLogits));
    },
    onBatch: (completed, total) => context.onProgress?.({ phase: options.methodId, completed, total }),
  });

  const outputs = createOutputs(context, attributed.id);
  for (const [index, task] of tasks.entries()) {
    const plan = plans[index]!;
    const full = values[offsets[index]!]!;
    const planValues = values.subarray(offsets[index]! + 1, offsets[index]! + 1 + plan.count);
    outputs.write(task, await plan.scores(planValues, full, point), full);
    for (const [name, value] of Object.entries(plan.extras?.(planValues, full) ?? {})) {
      outputs.extra(task, name, value);
    }
    if (point.due()) await point.pause();
  }
  return outputs.finish();
}
