import type { DenseTensor, GradientResult } from "@tokenscope/core";
import type { RuntimeTensor } from "@tokenscope/tensor-backends";
import { decoderTensorNames } from "../graphs/tensor-names.ts";
import { denseTensor, inputFeeds, positionFeed } from "./feeds.ts";
import { type GraphSessions, type GraphVariant, gradientTensorName } from "./graph-sessions.ts";
import { type GraphObjective, objectiveTensorNames, usesContrast } from "./objective-graph.ts";
import { groupIdenticalRows } from "./row-groups.ts";

/** One gradient request whose objective the graph computes itself. */
export interface GraphObjectiveRun {
  embeddings: DenseTensor;
  mask: number[][] | undefined;
  /** Per row: position, target id and (contrastive objectives) contrast target id. */
  positions: readonly number[];
  targetIds: readonly number[];
  contrastTargetIds: readonly number[] | undefined;
  objective: GraphObjective;
  target: NonNullable<GraphVariant["gradient"]>;
}

const noTaps = { attention: false, values: false, residual: false, mlp: false };

function int64Feed(values: number[][]): RuntimeTensor {
  return positionFeed(values);
}

/**
 * Gradients of a built-in step function computed inside the graph, in ONE run: rows with the same
 * input (every step of a sequence, every step at one point of an integration path) are run once,
 * each such input with one logit slot per row, and the backward pass computes one vector-Jacobian
 * product per slot (seed k = d objective[slot k]) against that single forward pass. The seeds are
 * [K, inputs, K] one-hot values instead of [K, inputs, K, vocab] logit derivatives, and no second
 * forward pass is needed for the step function's derivative.
 */
export async function runGraphObjective(
  sessions: GraphSessions,
  vocab: number,
  run: GraphObjectiveRun,
): Promise<Omit<GradientResult, "objective">> {
  const { embeddings, mask, positions } = run;
  const [batch, seq, hidden] = embeddings.dims as [number, number, number];
  const rowSize = seq * hidden;
  const { groups, placement, widest } = groupIdenticalRows(embeddings.data, batch, rowSize, mask);
  const inputs = groups.length;
  const slots = widest;

  const unique =
    inputs === batch
      ? embeddings.data
      : (() => {
          const data = new (embeddings.data.constructor as Float32ArrayConstructor)(inputs * rowSize);
          groups.forEach((members, group) => {
            data.set(
              embeddings.data.subarray(members[0]! * rowSize, (members[0]! + 1) * rowSize),
              group * rowSize,
            );
          });
          return data;
        })();
  const runInputs = {
    embeddings: { data: unique, dims: [inputs, seq, hidden] },
    ...(mask ? { attentionMask: groups.map((members) => mask[members[0]!]!) } : {}),
  };
  // Padding slots repeat the group's first row; their seeds are zero.
  const perSlot = (values: readonly number[]) =>
    groups.map((members) =>
      Array.from({ length: slots }, (_, slot) => values[members[slot] ?? members[0]!]!),
    );
  const feeds = inputFeeds(runInputs);
  feeds[decoderTensorNames.logitPositions] = positionFeed(perSlot(positions));
  feeds[objectiveTensorNames.targets] = int64Feed(perSlot(run.targetIds));
  if (usesContrast(run.objective)) {
    feeds[objectiveTensorNames.contrastTargets] = int64Feed(perSlot(run.contrastTargetIds ?? run.targetIds));
  }
  const seeds = new Float32Array(slots * inputs * slots);
  groups.forEach((members, group) => {
    for (let slot = 0; slot < members.length; slot++) seeds[(slot * inputs + group) * slots + slot] = 1;
  });
  feeds[`${objectiveTensorNames.objective}_grad`] = {
    dataType: "float32",
    dims: [slots, inputs, slots],
    data: seeds,
  };
  const variant: GraphVariant = {
    input: "embeds",
    gatherLogits: true,
    valueZeroing: false,
    taps: noTaps,
    objective: run.objective,
    gradient: { ...run.target, seeds: "dynamic" },
  };
  const session = await sessions.get(variant);
  const outputs = await session.run(feeds);

  const tensorName = gradientTensorName(run.target);
  const gradient = denseTensor(outputs[`${tensorName}_grad`]!);
  const width = gradient.dims[gradient.dims.length - 1]!;
  const perRow = seq * width;
  const activation = run.target.wrt === "embeddings" ? undefined : denseTensor(outputs[tensorName]!);
  const logits = denseTensor(outputs[decoderTensorNames.logits]!);
  const gradients = new Float32Array(batch * perRow);
  const activations = activation ? new Float32Array(batch * perRow) : undefined;
  const rowLogits = new Float32Array(batch * vocab);
  placement.forEach(({ group, slot }, row) => {
    // Gradient output [K, inputs, seq, width]: seed `slot` of input `group`.
    const from = (slot * inputs + group) * perRow;
    gradients.set(gradient.data.subarray(from, from + perRow), row * perRow);
    activations?.set(activation!.data.subarray(group * perRow, (group + 1) * perRow), row * perRow);
    const logitsFrom = (group * slots + slot) * vocab;
    rowLogits.set(logits.data.subarray(logitsFrom, logitsFrom + vocab), row * vocab);
  });
  return {
    gradients: { data: gradients, dims: [batch, seq, width] },
    activations: activations ? { data: activations, dims: [batch, seq, width] } : embeddings,
    logits: { data: rowLogits, dims: [batch, 1, vocab] },
  };
}
