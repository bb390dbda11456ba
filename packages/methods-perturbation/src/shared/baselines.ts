import {
  assertCapabilities,
  type LanguageModel,
  sourceLengthsFor,
  type TensorData,
  TokenscopeError,
  type UnknownToken,
  unknownToken,
} from "@tokenscope/core";
import type { ForwardRow } from "./forward-rows.ts";
import type { Baseline } from "./parameters.ts";
import type { StepTask } from "./step-tasks.ts";

/** Turns "these positions are absent" into a model input, for one baseline. */
export interface BaselineInputs {
  /** Whether rows go to the model as embeddings. */
  embeddings: boolean;
  /**
   * The input of `task` (or `ids`, another input of the same step: its shared contrast input) with
   * the tokens at `absent` (decoder positions) replaced or removed. "mean" writes the mean
   * embedding of the task's own input in `ids` too: the same perturbation on both sides.
   */
  row(task: StepTask, absent: readonly number[], ids?: readonly number[]): ForwardRow;
}

/** The token a replacement baseline writes, and which special token of the model it is. */
export type ReplacementToken = UnknownToken;

/** The token the "unk" baseline writes (core's `unknownToken`: unk, else pad, else EOS, as Inseq). */
export const unknownReplacement = unknownToken;

function specialId(model: LanguageModel, baseline: "unk" | "pad", owner: string): number {
  const { specialTokens } = model.info;
  const id = baseline === "unk" ? unknownReplacement(specialTokens)?.id : specialTokens.pad;
  if (id === undefined) {
    const name =
      baseline === "unk" ? "an unknown token (unk), or else a padding or EOS token" : "a padding token (pad)";
    throw new TokenscopeError(
      "INVALID_PARAMETERS",
      `${owner} with baseline "${baseline}" needs ${name}, but model "${model.info.id}" defines none.`,
      {
        hint: 'Pick another baseline: "zero" or "mean" (need embed), "removal", or the other special token.',
        details: { model: model.info.id, baseline },
      },
    );
  }
  return id;
}

function replacedIds(ids: readonly number[], absent: readonly number[], id: number): number[] {
  const replaced = [...ids];
  for (const position of absent) replaced[position] = id;
  return replaced;
}

/** The mean input embedding of each task's input, from one `embed` call per sequence. */
async function meanEmbeddings(model: LanguageModel, tasks: StepTask[]): Promise<Map<StepTask, TensorData>> {
  const longest = new Map<number, StepTask>();
  for (const task of tasks) {
    const current = longest.get(task.sequence);
    if (!current || current.ids.length < task.ids.length) longest.set(task.sequence, task);
  }
  const means = new Map<StepTask, TensorData>();
  for (const [sequence, widest] of longest) {
    const embedded = await model.embed!([widest.ids], sourceLengthsFor(model, [widest.sourceLength]));
    const hidden = embedded.dims[2]!;
    // Running sums give every step's prefix mean from the one embedding of the longest prefix.
    const sums = new Float64Array(hidden);
    const prefixMeans: TensorData[] = [];
    for (let position = 0; position < widest.ids.length; position++) {
      for (let k = 0; k < hidden; k++) sums[k]! += embedded.data[position * hidden + k]!;
      const mean =
        embedded.data instanceof Float32Array ? new Float32Array(hidden) : new Float64Array(hidden);
      for (let k = 0; k < hidden; k++) mean[k] = sums[k]! / (position + 1);
      prefixMeans.push(mean);
    }
    for (const task of tasks) {
      if (task.sequence === sequence) means.set(task, prefixMeans[task.ids.length - 1]!);
    }
  }
  return means;
}

/**
 * Prepares `baseline` for `tasks` on `model`: checks what it needs (the embed
 * capability for "zero" and "mean", an unk or pad id), computes mean
 * embeddings once, and returns the function that builds perturbed rows.
 */
export async function baselineInputs(
  model: LanguageModel,
  baseline: Baseline,
  tasks: StepTask[],
  owner: string,
): Promise<BaselineInputs> {
  switch (baseline) {
    case "unk":
    case "pad": {
      const id = specialId(model, baseline, owner);
      return {
        embeddings: false,
        row: (task, absent, ids = task.ids) => ({
          ids: replacedIds(ids, absent, id),
          sourceLength: task.sourceLength,
        }),
      };
    }
    case "removal":
      return {
        embeddings: false,
        row: (task, absent, ids = task.ids) => {
          const removed = new Set(absent);
          return {
            ids: ids.filter((_, position) => !removed.has(position)),
            sourceLength:
              task.sourceLength - [...removed].filter((position) => position < task.sourceLength).length,
          };
        },
      };
    case "zero":
      assertCapabilities(model, ["embed"], `${owner} with baseline "zero"`);
      return {
        embeddings: true,
        row: (task, absent, ids = task.ids) => ({
          ids,
          sourceLength: task.sourceLength,
          replaced: { positions: absent, embedding: null },
        }),
      };
    case "mean": {
      assertCapabilities(model, ["embed"], `${owner} with baseline "mean"`);
      const means = await meanEmbeddings(model, tasks);
      return {
        embeddings: true,
        row: (task, absent, ids = task.ids) => ({
          ids,
          sourceLength: task.sourceLength,
          replaced: { positions: absent, embedding: means.get(task)! },
        }),
      };
    }
  }
}
