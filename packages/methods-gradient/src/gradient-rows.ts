import {
  contrastStep,
  createCallPacer,
  evaluateStepFunction,
  formatMiB,
  type GradientObjective,
  type GradientTarget,
  getStepFunction,
  type MethodContext,
  type MethodSequence,
  type ModelInputs,
  sourceLengthsFor,
  stepPosition,
  type TensorData,
  TokenscopeError,
  targetId,
  throwIfAborted,
} from "@tokenscope/core";
import { DEFAULT_MEMORY_BUDGET_BYTES, type GradientCallPlan, gradientCallPlan } from "./batch-budget.ts";
import { contrastSizing, createContrastRows } from "./contrast-rows.ts";

/** What {@link forEachGradientRow} hands over for every row. */
export interface GradientRow {
  /** Index of the row among all rows. */
  row: number;
  /**
   * The row's gradient [seq, width], row-major, over the sequence's positions (source then target);
   * for a contrastive function whose contrast input shares the prompt, through both sides.
   */
  gradient: TensorData;
  /** The row's tensor that was differentiated [seq, width]: its input embeddings, or a residual. */
  activation: TensorData;
  /** The attributed function's value at the row's input. */
  value: number;
}

/** Options of {@link forEachGradientRow}. */
export interface GradientRowsOptions {
  /** Target step of each row. */
  steps: readonly number[];
  /** The model inputs of rows [start, end). */
  inputs(start: number, end: number): ModelInputs;
  /** Name of the progress phase (the method id). */
  phase: string;
  /** What the gradient is taken with respect to (default: the input embeddings). */
  wrt?: GradientTarget;
}

/**
 * The objective of rows whose target steps are `steps`: the registered
 * attributed step function (built-in or user-defined) at each step's position
 * for its target id, so that the model differentiates it at every input. A
 * contrastive function gets each step's contrast token; this objective reads
 * it from the row's own logits, so it serves only rows that are their own
 * contrast (contrast-rows.ts handles the others).
 */
export function stepObjective(
  context: MethodContext<unknown>,
  sequence: MethodSequence,
  steps: readonly number[],
): GradientObjective {
  const contrastive = getStepFunction(context.attributedFunction.id).contrast !== undefined;
  const contrastIds = contrastive ? steps.map((step) => contrastStep(sequence, step)?.targetId) : [];
  const withContrast = contrastIds.length > 0 && contrastIds.every((id) => id !== undefined);
  return {
    kind: "stepFunction",
    stepFunction: context.attributedFunction.id,
    parameters: context.attributedFunction.parameters,
    positions: steps.map((step) => stepPosition(sequence, step)),
    targetIds: steps.map((step) => targetId(sequence, step)),
    ...(withContrast ? { contrastTargetIds: contrastIds as number[] } : {}),
  };
}

/**
 * Runs the gradients of many rows of one sequence in as few `model.gradients`
 * calls as the memory budget allows (all in one call when they fit), and
 * hands each row's gradient and objective value to `consume` without keeping
 * them, so integrated gradients can accumulate thousands of rows. Throws
 * `INVALID_INPUT` before any call when one row of the run's longest sequence
 * needs more than the budget (rows are never split along the sequence). The
 * rows of a contrastive function whose contrast side is not the row itself go
 * through contrast-rows.ts: a forward pass, the function's derivative, then
 * one backward pass over the rows and their contrast rows.
 */
export async function forEachGradientRow(
  context: MethodContext<unknown>,
  sequence: MethodSequence,
  options: GradientRowsOptions,
  consume: (row: GradientRow) => void,
): Promise<void> {
  const { model } = context;
  const seq = sequence.source.length + sequence.target.length;
  const total = options.steps.length;
  const wrt = options.wrt ?? { kind: "embeddings" };
  const contrast = createContrastRows(context, sequence);
  // A call of rows with contrast rows may be longer and twice as many rows; sized for the worst.
  const sizing = contrastSizing(context, sequence, options.steps);
  // Checks the run's longest sequence, not only this one: a run that cannot fit stops before its first call.
  const plan = gradientCallPlan(context, options.phase, sizing.length, sizing.rowsPerItem);
  // Calls grow from the FLOP estimate while they run short: many rows sharing one forward pass are
  // several times cheaper per row than calls of one row.
  const pacer = createCallPacer(plan.rows, plan.mostRows);
  const recompute = plan.recompute ? { recompute: true } : {};
  // Said up front, with every event of the phase: how many passes the run makes, and why.
  const planned = planMessage(plan, total, context.memoryBudgetBytes);
  const report = (completed: number) =>
    context.onProgress?.({
      phase: options.phase,
      completed,
      total,
      message: `${options.phase} ${completed}/${total} · ${planned}`,
    });
  report(0);
  for (let start = 0; start < total; ) {
    throwIfAborted(context.signal);
    const end = Math.min(total, start + pacer.rows());
    const began = performance.now();
    const steps = options.steps.slice(start, end);
    const sides = contrast.sidesOf(steps);
    if (sides) {
      if (model.info.encoderDecoder) {
        throw new TokenscopeError(
          "INVALID_INPUT",
          `Method "${options.phase}": contrastive attribution with a separate contrast input does not run on encoder-decoder models yet.`,
          {
            hint: "Attribute a non-contrastive function on this model, or a contrast target differing only in its token.",
          },
        );
      }
      const result = await contrast.gradients({
        steps,
        inputs: options.inputs(start, end),
        sides,
        wrt,
        ...recompute,
      });
      const size = seq * result.width;
      for (let index = 0; index < steps.length; index++) {
        consume({
          row: start + index,
          gradient: result.gradients.subarray(index * size, (index + 1) * size),
          activation: result.activations.subarray(index * size, (index + 1) * size),
          value: result.values[index]!,
        });
      }
    } else {
      const objective = stepObjective(context, sequence, steps);
      const result = await model.gradients!({
        inputs: {
          ...options.inputs(start, end),
          ...sourceLengthsFor(
            model,
            steps.map(() => sequence.source.length),
          ),
        },
        objective,
        wrt,
        ...recompute,
        ...(context.signal ? { signal: context.signal } : {}),
      });
      const width = result.gradients.dims[2]!;
      const vocab = result.logits.dims[result.logits.dims.length - 1]!;
      for (let index = 0; index < steps.length; index++) {
        const offset = index * seq * width;
        let value = result.objective[index]!;
        // A model may leave the objective out (NaN); the logits it used give the same value.
        if (!Number.isFinite(value)) {
          value = evaluateStepFunction(
            getStepFunction(context.attributedFunction.id),
            {
              logits: result.logits.data.subarray(index * vocab, (index + 1) * vocab),
              targetId: targetId(sequence, steps[index]!),
              ...(objective.kind === "stepFunction" && objective.contrastTargetIds
                ? { contrastTargetId: objective.contrastTargetIds[index]! }
                : {}),
              parameters: context.attributedFunction.parameters,
            },
            { withGradient: false },
          ).value;
        }
        consume({
          row: start + index,
          gradient: result.gradients.data.subarray(offset, offset + seq * width),
          activation: result.activations.data.subarray(offset, offset + seq * width),
          value,
        });
      }
    }
    pacer.record(end - start, performance.now() - began);
    report(end);
    start = end;
  }
}

/**
 * "16 rows in 2 gradient passes, layer activations recomputed to fit the default 2048 MiB memory
 * budget"; "at most 16 passes" where calls may grow past the first one's rows.
 */
function planMessage(plan: GradientCallPlan, rows: number, budgetBytes: number | undefined): string {
  const passes = Math.ceil(rows / Math.max(1, Math.min(plan.rows, rows)));
  const fewest = Math.ceil(rows / Math.max(1, plan.mostRows));
  const count = passes === fewest ? `${passes}` : `at most ${passes}`;
  const size = `${rows} ${rows === 1 ? "row" : "rows"} in ${count} gradient ${passes === 1 ? "pass" : "passes"}`;
  if (!plan.recompute) return size;
  const budget =
    budgetBytes === undefined
      ? `the default ${formatMiB(DEFAULT_MEMORY_BUDGET_BYTES)}`
      : `the ${formatMiB(budgetBytes)}`;
  return `${size}, layer activations recomputed to fit ${budget} memory budget`;
}
