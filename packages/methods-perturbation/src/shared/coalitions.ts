import { assertCapabilities, type MethodContext, type MethodSequenceOutput } from "@tokenscope/core";
import { attributedFunctionOf } from "./attributed-function.ts";
import { baselineInputs } from "./baselines.ts";
import { evaluateRows } from "./forward-rows.ts";
import { createOutputs } from "./outputs.ts";
import type { Baseline } from "./parameters.ts";
import { type StepTask, stepTasks } from "./step-tasks.ts";
import type { UnitOptions } from "./units.ts";

/**
 * What a coalition method asks of one attributed step: the coalitions to
 * evaluate (0/1 per feature, 1 = present; the full input is always evaluated
 * besides them) and how to turn their values into one score per feature.
 */
export interface CoalitionPlan {
  coalitions: Uint8Array[];
  /** `values[k]` is f of `coalitions[k]`; `full` is f of the unperturbed input. */
  scores(values: Float64Array, full: number): ArrayLike<number>;
  /** Optional per-step extras, computed from the same values. */
  extras?(values: Float64Array, full: number): Record<string, number>;
}

/** Options of {@link runCoalitions}. */
export interface CoalitionRunOptions {
  methodId: string;
  units: Omit<UnitOptions, "owner">;
  baseline: Baseline;
  includeSpecial: boolean;
  batchSize: number;
  /** Builds the plan of one step; may throw (e.g. too many features) before any forward pass. */
  plan(task: StepTask): CoalitionPlan;
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
  const plans = tasks.map((task) => options.plan(task));
  const inputs = await baselineInputs(model, options.baseline, tasks, owner);

  const offsets: number[] = [];
  let count = 0;
  for (const plan of plans) {
    offsets.push(count);
    count += 1 + plan.coalitions.length;
  }
  const taskOfRow = new Int32Array(count);
  plans.forEach((plan, index) => {
    taskOfRow.fill(index, offsets[index]!, offsets[index]! + 1 + plan.coalitions.length);
  });

  const values = await evaluateRows({
    model,
    count,
    batchSize: options.batchSize,
    memoryBudgetBytes: context.memoryBudgetBytes,
    longestRow: Math.max(1, ...tasks.map((task) => task.ids.length)),
    embeddings: inputs.embeddings,
    signal: context.signal,
    rowAt(row) {
      const index = taskOfRow[row]!;
      const task = tasks[index]!;
      const coalition = plans[index]!.coalitions[row - offsets[index]! - 1];
      const absent = coalition ? task.features.filter((_, feature) => coalition[feature] === 0).flat() : [];
      return inputs.row(task, absent);
    },
    read(logits, row) {
      const task = tasks[taskOfRow[row]!]!;
      return attributed.evaluate(logits, task.targetId, task.contrastTargetId);
    },
    onBatch: (completed, total) => context.onProgress?.({ phase: options.methodId, completed, total }),
  });

  const outputs = createOutputs(context, attributed.id);
  tasks.forEach((task, index) => {
    const plan = plans[index]!;
    const full = values[offsets[index]!]!;
    const planValues = values.subarray(offsets[index]! + 1, offsets[index]! + 1 + plan.coalitions.length);
    outputs.write(task, plan.scores(planValues, full), full);
    for (const [name, value] of Object.entries(plan.extras?.(planValues, full) ?? {})) {
      outputs.extra(task, name, value);
    }
  });
  return outputs.finish();
}
