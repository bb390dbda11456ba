import {
  contrastStep,
  type LanguageModel,
  type LogitVector,
  type MethodContext,
  type MethodSequence,
} from "@tokenscope/core";
import type { ContrastValue, ResolvedAttributedFunction } from "./attributed-function.ts";
import { evaluateRows, type ForwardRow } from "./forward-rows.ts";

/**
 * Where a step's contrast logits come from when its input is perturbed:
 * - "self": the contrast input is the step's own input, so each perturbed row's own logits (no row);
 * - "shared": the contrast input starts with the same prompt, so it gets the same perturbation at
 *   the prompt positions and is sent as a row beside each perturbed row;
 * - "fixed": another prompt (a contrast source), which no perturbation of the attributed prompt
 *   touches: its logits are one vector per step.
 */
export type ContrastInput = "self" | "shared" | "fixed";

/** The contrast side of one attributed step. */
export interface StepContrast {
  /** The contrast token compared with the target. */
  targetId: number;
  input: ContrastInput;
  /** The contrast input: its source, then the contrast tokens before the aligned one. */
  ids: readonly number[];
}

/** The contrast side of step `step` of `sequence` (core's `contrastStep`), or undefined without one. */
export function stepContrastOf(sequence: MethodSequence, step: number): StepContrast | undefined {
  const contrast = contrastStep(sequence, step);
  if (!contrast) return undefined;
  const input: ContrastInput = contrast.self ? "self" : sequence.contrast?.sharesSource ? "shared" : "fixed";
  return { targetId: contrast.targetId, input, ids: contrast.ids };
}

/** What {@link contrastRows} needs of a step task. */
export interface ContrastTask {
  ids: readonly number[];
  contrast?: StepContrast;
}

function contrastRowsNeeded(task: ContrastTask, attributed: ResolvedAttributedFunction): boolean {
  return attributed.readsContrastLogits && task.contrast !== undefined && task.contrast.input !== "self";
}

/** Tokens in the longest row a run sends: the tasks' inputs and the contrast inputs it evaluates. */
export function longestRowOf(tasks: readonly ContrastTask[], attributed: ResolvedAttributedFunction): number {
  let longest = 1;
  for (const task of tasks) {
    longest = Math.max(longest, task.ids.length);
    if (contrastRowsNeeded(task, attributed)) longest = Math.max(longest, task.contrast!.ids.length);
  }
  return longest;
}

/** Decoder positions of `absent` that lie in the prompt: the only ones a shared contrast input has. */
export function promptPositions(absent: readonly number[], sourceLength: number): number[] {
  return absent.filter((position) => position < sourceLength);
}

/**
 * A shared contrast input under a token-replacing perturbation: the perturbed row's prompt tokens
 * (the first `sourceLength`), then the contrast input's own tokens after the prompt.
 */
export function withPromptOf(
  contrastIds: readonly number[],
  perturbedIds: readonly number[],
  sourceLength: number,
): number[] {
  return [...perturbedIds.slice(0, sourceLength), ...contrastIds.slice(sourceLength)];
}

/** The contrast side of a run's rows (see {@link contrastRows}). */
export interface ContrastRows<T extends ContrastTask> {
  /**
   * The contrast row to send beside a perturbed row of `task`: `build(contrast ids)` applies the
   * row's perturbation to the contrast input's prompt positions. Undefined when the contrast logits
   * come without a row (no contrast logits read, "self", or "fixed").
   */
  row(task: T, build: (contrastIds: readonly number[]) => ForwardRow): ForwardRow | undefined;
  /** The contrast side for the attributed function, given the logits of the row sent with it. */
  side(task: T, rowLogits: LogitVector | undefined): ContrastValue | undefined;
}

/** Options of {@link contrastRows}. */
export interface ContrastRowsOptions extends Pick<MethodContext<unknown>, "memoryBudgetBytes" | "signal"> {
  batchSize: number;
  method: string;
}

/**
 * Prepares the contrast side of `tasks`: the logits of every "fixed" contrast input, computed once
 * per step (one stream of rows before the perturbed ones; they are one vocabulary vector per step
 * in memory), and the rule that sends a "shared" contrast input beside each perturbed row. Makes
 * no model call when the attributed function reads no contrast logits.
 */
export async function contrastRows<T extends ContrastTask>(
  model: LanguageModel,
  attributed: ResolvedAttributedFunction,
  tasks: readonly T[],
  options: ContrastRowsOptions,
): Promise<ContrastRows<T>> {
  const fixed = tasks.filter(
    (task) => contrastRowsNeeded(task, attributed) && task.contrast!.input === "fixed",
  );
  const fixedLogits = new Map<T, LogitVector>();
  if (fixed.length > 0) {
    await evaluateRows({
      model,
      count: fixed.length,
      batchSize: options.batchSize,
      memoryBudgetBytes: options.memoryBudgetBytes,
      method: options.method,
      longestRow: Math.max(...fixed.map((task) => task.contrast!.ids.length)),
      embeddings: false,
      signal: options.signal,
      rowAt: (index) => ({ ids: fixed[index]!.contrast!.ids }),
      read(logits, index) {
        // A copy: the call's logits buffer is not kept.
        fixedLogits.set(fixed[index]!, logits.slice());
        return 0;
      },
    });
  }
  return {
    row(task, build) {
      if (!contrastRowsNeeded(task, attributed) || task.contrast!.input !== "shared") return undefined;
      return build(task.contrast!.ids);
    },
    side(task, rowLogits) {
      const { contrast } = task;
      if (!contrast) return undefined;
      const logits = contrast.input === "fixed" ? fixedLogits.get(task) : rowLogits;
      return logits === undefined ? { targetId: contrast.targetId } : { targetId: contrast.targetId, logits };
    },
  };
}
