import type { MethodContext, MethodSequenceOutput } from "@tokenscope/core";
import type { StepTask } from "./step-tasks.ts";

/** Per-sequence outputs being filled step by step. */
export interface OutputBuilder {
  /** Writes one step's feature scores (every position of a feature gets its score; other tokens 0). */
  write(task: StepTask, featureScores: ArrayLike<number>, originalValue: number): void;
  /** Adds a per-step extra (null for steps not attributed, so results stay plain JSON). */
  extra(task: StepTask, name: string, value: number): void;
  finish(): MethodSequenceOutput[];
}

/**
 * Allocates every sequence's [target, source, 1] (and, when
 * `attributeTarget`, [target, target, 1]) attributions filled with NaN, so
 * steps not attributed and target cells at or after their step stay NaN.
 */
export function createOutputs(
  context: Pick<MethodContext<unknown>, "sequences" | "attributeTarget">,
  attributedFunctionId: string,
): OutputBuilder {
  const outputs = context.sequences.map((sequence) => {
    const steps = sequence.target.length;
    const columns = sequence.source.length;
    return {
      source: new Float64Array(steps * columns).fill(Number.NaN),
      target: context.attributeTarget ? new Float64Array(steps * steps).fill(Number.NaN) : undefined,
      original: new Array<number>(steps).fill(Number.NaN),
      extras: {} as Record<string, (number | null)[]>,
    };
  });
  return {
    write(task, featureScores, originalValue) {
      const output = outputs[task.sequence]!;
      const sequence = context.sequences[task.sequence]!;
      const columns = sequence.source.length;
      const steps = sequence.target.length;
      output.source.fill(0, task.step * columns, (task.step + 1) * columns);
      output.target?.fill(0, task.step * steps, task.step * steps + task.step);
      task.features.forEach((feature, index) => {
        for (const position of feature) {
          if (position < task.sourceLength)
            output.source[task.step * columns + position] = featureScores[index]!;
          else output.target![task.step * steps + position - task.sourceLength] = featureScores[index]!;
        }
      });
      output.original[task.step] = originalValue;
    },
    extra(task, name, value) {
      const extras = outputs[task.sequence]!.extras;
      extras[name] ??= new Array<number | null>(context.sequences[task.sequence]!.target.length).fill(null);
      extras[name][task.step] = Number.isFinite(value) ? value : null;
    },
    finish() {
      return outputs.map((output, index) => {
        const sequence = context.sequences[index]!;
        const steps = sequence.target.length;
        const result: MethodSequenceOutput = {
          source: { dims: [steps, sequence.source.length, 1], data: output.source },
          stepScores: { [attributedFunctionId]: output.original },
        };
        if (output.target) result.target = { dims: [steps, steps, 1], data: output.target };
        if (Object.keys(output.extras).length > 0) result.extras = output.extras;
        return result;
      });
    },
  };
}
