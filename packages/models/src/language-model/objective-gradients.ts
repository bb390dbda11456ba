import type { DenseTensor, GradientResult, TensorData } from "@tokenscope/core";
import type { RuntimeTensor } from "@tokenscope/tensor-backends";
import { decoderTensorNames } from "../graphs/tensor-names.ts";
import { denseTensor, inputFeeds, positionFeed } from "./feeds.ts";
import { type GraphSessions, type GraphVariant, gradientTensorName } from "./graph-sessions.ts";
import { type GraphObjective, objectiveTensorNames, usesContrast } from "./objective-graph.ts";
import { residualFeeds } from "./residual-replacement.ts";
import { groupIdenticalRows } from "./row-groups.ts";

/** One gradient request whose objective the graph computes itself. */
export interface GraphObjectiveRun {
  /** Input embeddings [batch, seq, hidden], or the residual after `residualInput` when that is set. */
  embeddings: DenseTensor;
  /** The graph starts from the residual stream after this layer (`replaceResidual`). */
  residualInput?: number;
  mask: number[][] | undefined;
  /** Per row: position, target id and (contrastive objectives) contrast target id. */
  positions: readonly number[];
  targetIds: readonly number[];
  contrastTargetIds: readonly number[] | undefined;
  objective: GraphObjective;
  target: NonNullable<GraphVariant["gradient"]>;
  /** Recompute each layer's activations in the backward pass. */
  recompute?: boolean;
}

const noTaps = { attention: false, values: false, residual: false, mlp: false };

/** Where one call's outputs go: per batch row, its input among the call's inputs and its slot. */
interface CallRows {
  /** Batch rows of each input of the call (the call's groups). */
  groups: number[][];
  slots: number;
}

function gatherRows(data: TensorData, rows: readonly number[], size: number): TensorData {
  const out = new (data.constructor as Float32ArrayConstructor)(rows.length * size);
  rows.forEach((row, index) => {
    out.set(data.subarray(row * size, (row + 1) * size), index * size);
  });
  return out;
}

/**
 * Gradients of a built-in step function computed inside the graph: rows with the same input (every
 * step of a sequence, every step at one point of an integration path) are run once, each such input
 * with one logit slot per row, and the backward pass computes one vector-Jacobian product per slot
 * (seed k = d objective[slot k]) against that single forward pass. The seeds are [K, inputs, K]
 * one-hot values instead of [K, inputs, K, vocab] logit derivatives, and the step function's
 * derivative needs no forward pass of its own. Groups of different sizes run in separate calls of
 * the same session, so a lone row never pays for K seeds.
 */
export async function runGraphObjective(
  sessions: GraphSessions,
  vocab: number,
  run: GraphObjectiveRun,
): Promise<Omit<GradientResult, "objective">> {
  const { embeddings, mask } = run;
  const [batch, seq, hidden] = embeddings.dims as [number, number, number];
  const rowSize = seq * hidden;
  const { groups } = groupIdenticalRows(embeddings.data, batch, rowSize, mask);
  const bySize = new Map<number, number[][]>();
  for (const members of groups) {
    const sameSize = bySize.get(members.length);
    if (sameSize) sameSize.push(members);
    else bySize.set(members.length, [members]);
  }

  const session = await sessions.get({
    input: "embeds",
    gatherLogits: true,
    valueZeroing: false,
    taps: noTaps,
    objective: run.objective,
    gradient: { ...run.target, seeds: "dynamic" },
    ...(run.residualInput === undefined ? {} : { residualInput: run.residualInput }),
    ...(run.recompute ? { recompute: true } : {}),
  });
  const tensorName = gradientTensorName(run.target);
  let gradients: Float32Array | undefined;
  let activations: Float32Array | undefined;
  let width = hidden;
  const rowLogits = new Float32Array(batch * vocab);

  for (const [slots, sized] of bySize) {
    const call: CallRows = { groups: sized, slots };
    const outputs = await session.run(callFeeds(run, call, seq, rowSize, session.inputNames));
    const gradient = denseTensor(outputs[`${tensorName}_grad`]!);
    width = gradient.dims[gradient.dims.length - 1]!;
    const perRow = seq * width;
    gradients ??= new Float32Array(batch * perRow);
    // The residual the graph starts from is an input: its rows are the activations.
    const activation =
      run.target.wrt === "embeddings"
        ? undefined
        : run.target.layer === run.residualInput
          ? gatherRows(
              embeddings.data,
              sized.map((members) => members[0]!),
              rowSize,
            )
          : denseTensor(outputs[tensorName]!).data;
    if (activation) activations ??= new Float32Array(batch * perRow);
    const logits = denseTensor(outputs[decoderTensorNames.logits]!);
    const inputs = sized.length;
    sized.forEach((members, group) => {
      members.forEach((row, slot) => {
        // Gradient output [K, inputs, seq, width]: seed `slot` of input `group`.
        const from = (slot * inputs + group) * perRow;
        gradients!.set(gradient.data.subarray(from, from + perRow), row * perRow);
        activations?.set(activation!.subarray(group * perRow, (group + 1) * perRow), row * perRow);
        const logitsFrom = (group * slots + slot) * vocab;
        rowLogits.set(logits.data.subarray(logitsFrom, logitsFrom + vocab), row * vocab);
      });
    });
  }
  return {
    gradients: { data: gradients!, dims: [batch, seq, width] },
    activations: activations ? { data: activations, dims: [batch, seq, width] } : embeddings,
    logits: { data: rowLogits, dims: [batch, 1, vocab] },
  };
}

function callFeeds(
  run: GraphObjectiveRun,
  call: CallRows,
  seq: number,
  rowSize: number,
  inputNames: readonly string[],
): Record<string, RuntimeTensor> {
  const { groups, slots } = call;
  const inputs = groups.length;
  const representatives = groups.map((members) => members[0]!);
  const rows = {
    data: gatherRows(run.embeddings.data, representatives, rowSize),
    dims: [inputs, seq, rowSize / seq],
  };
  const feeds = inputFeeds({
    embeddings: rows,
    ...(run.mask ? { attentionMask: representatives.map((row) => run.mask![row]!) } : {}),
  });
  const perSlot = (values: readonly number[]) => groups.map((members) => members.map((row) => values[row]!));
  feeds[decoderTensorNames.logitPositions] = positionFeed(perSlot(run.positions));
  feeds[objectiveTensorNames.targets] = positionFeed(perSlot(run.targetIds));
  if (usesContrast(run.objective)) {
    feeds[objectiveTensorNames.contrastTargets] = positionFeed(
      perSlot(run.contrastTargetIds ?? run.targetIds),
    );
  }
  // Seed k is 1 at slot k of every input: K products against one forward pass per input.
  const seeds = new Float32Array(slots * inputs * slots);
  for (let slot = 0; slot < slots; slot++) {
    for (let group = 0; group < inputs; group++) seeds[(slot * inputs + group) * slots + slot] = 1;
  }
  feeds[`${objectiveTensorNames.objective}_grad`] = {
    dataType: "float32",
    dims: [slots, inputs, slots],
    data: seeds,
  };
  if (run.residualInput === undefined) return feeds;
  return residualFeeds(feeds, { layer: run.residualInput, values: rows }, inputNames);
}
