import {
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  stepPosition,
  TokenscopeError,
  targetId,
} from "@tokenscope/core";
import { type StepContrast, stepContrastOf } from "./contrast-rows.ts";
import { type UnitOptions, unitGroups } from "./units.ts";

/**
 * One attributed step of one sequence: the model input that predicts it and
 * the features (decoder positions perturbed together) it is attributed to.
 */
export interface StepTask {
  /** Index of the sequence in the context. */
  sequence: number;
  step: number;
  /** Source length of the sequence: decoder position p < sourceLength is source token p, else target p − sourceLength. */
  sourceLength: number;
  /** Decoder input ids trimmed to the step's prediction position (inclusive): later tokens are never input. */
  ids: number[];
  targetId: number;
  /** The contrast side of a contrastive run: its token and where its logits come from. */
  contrast?: StepContrast;
  /** Each feature's decoder positions; features never hold a position at or after the prediction. */
  features: number[][];
}

/** Options of {@link stepTasks}. */
export interface StepTaskOptions {
  units: UnitOptions;
  includeSpecial: boolean;
}

function checkedSteps(sequence: MethodSequence, index: number, owner: string): number[] {
  const steps = [...new Set(sequence.steps)].sort((a, b) => a - b);
  for (const step of steps) {
    if (!Number.isInteger(step) || step < 0 || step >= sequence.target.length) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `${owner}: sequence ${index} asks for step ${step}, but its target has ${sequence.target.length} tokens.`,
        { hint: "Steps are indices into the target tokens.", details: { sequence: index, step } },
      );
    }
  }
  return steps;
}

function featuresOf(
  units: number[][],
  keep: (member: number) => boolean,
  position: (member: number) => number,
): number[][] {
  return units.map((unit) => unit.filter(keep).map(position)).filter((feature) => feature.length > 0);
}

/**
 * The attributed steps of every sequence in `context`, in order (sequence, then
 * step), each with its trimmed input and its features: the source units and,
 * when `attributeTarget`, the target units before the step (a target unit
 * that reaches the step keeps only its earlier tokens). Special tokens are
 * left out of every feature unless `includeSpecial`.
 */
export function stepTasks(
  context: Pick<MethodContext<unknown>, "sequences" | "attributeTarget">,
  options: StepTaskOptions,
): StepTask[] {
  const tasks: StepTask[] = [];
  context.sequences.forEach((sequence, index) => {
    const ids = decoderInputIds(sequence);
    const sourceLength = sequence.source.length;
    const steps = checkedSteps(sequence, index, options.units.owner);
    if (steps.length === 0) return;
    const sourceUnits = unitGroups(sequence.source, "source", options.units);
    const targetUnits = context.attributeTarget ? unitGroups(sequence.target, "target", options.units) : [];
    for (const step of steps) {
      const position = stepPosition(sequence, step);
      const allowed = (token: { special: boolean }) => options.includeSpecial || !token.special;
      const features = [
        ...featuresOf(
          sourceUnits,
          (s) => allowed(sequence.source[s]!),
          (s) => s,
        ),
        ...featuresOf(
          targetUnits,
          (u) => u < step && allowed(sequence.target[u]!),
          (u) => sourceLength + u,
        ),
      ];
      const contrast = stepContrastOf(sequence, step);
      tasks.push({
        sequence: index,
        step,
        sourceLength,
        ids: ids.slice(0, position + 1),
        targetId: targetId(sequence, step),
        ...(contrast === undefined ? {} : { contrast }),
        features,
      });
    }
  });
  return tasks;
}
