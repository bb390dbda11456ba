import type { RandomStream } from "../shared/random.ts";
import type { StepTask } from "../shared/step-tasks.ts";
import type { TokenSampler } from "./samplers.ts";

/** ReAGent's settings, named as in Inseq. */
export interface ReagentSettings {
  keep_top_n: number;
  keep_ratio: number | null;
  invert_keep: boolean;
  stopping_condition_top_k: number;
  replacing_ratio: number;
  max_probe_steps: number;
  num_probes: number;
}

/** The probes of one attributed step: importance scores (logit scale) per probe over the perturbable positions. */
export interface ProbeGroup {
  task: StepTask;
  /** Decoder positions ReAGent may replace (the step's features, one token each). */
  positions: number[];
  random: RandomStream;
  /** f_t on the original input. */
  original: number;
  scores: Float64Array[];
  stopped: boolean[];
  /** Update iterations run while a probe of this step was still active. */
  iterations: number;
}

// Keeps logit(x) finite when the delta of the attributed function reaches ±1 (or beyond, for functions
// that are not probabilities).
const edge = 1e-6;

/** A probe group with scores drawn uniformly from [0, 1), as ReAGent initialises them. */
export function createProbeGroup(task: StepTask, numProbes: number, random: RandomStream): ProbeGroup {
  const positions = task.features.flat();
  return {
    task,
    positions,
    random,
    original: Number.NaN,
    scores: Array.from({ length: positions.length === 0 ? 0 : numProbes }, () =>
      Float64Array.from(positions, () => random.float()),
    ),
    stopped: new Array<boolean>(positions.length === 0 ? 0 : numProbes).fill(false),
    iterations: 0,
  };
}

/** Indices of the probes that have not met the stopping condition. */
export function activeProbes(group: ProbeGroup): number[] {
  return group.stopped.flatMap((stopped, probe) => (stopped ? [] : [probe]));
}

function replacedIds(group: ProbeGroup, replaced: ArrayLike<number>, sampler: TokenSampler): number[] {
  const ids = [...group.task.ids];
  group.positions.forEach((position, index) => {
    if (replaced[index]) ids[position] = sampler(group.task, position, group.random);
  });
  return ids;
}

/** An update input: each position replaced with probability `replacing_ratio` by a sampled token. */
export function updateInput(
  group: ProbeGroup,
  replacingRatio: number,
  sampler: TokenSampler,
): { ids: number[]; replaced: Uint8Array } {
  const replaced = Uint8Array.from(group.positions, () => (group.random.float() < replacingRatio ? 1 : 0));
  return { ids: replacedIds(group, replaced, sampler), replaced };
}

/**
 * ReAGent's update: with Δ = f(original) − f(replaced), replaced positions
 * gain logit((Δ + 1) / 2) and kept ones logit((1 − Δ) / 2).
 */
export function applyUpdate(group: ProbeGroup, probe: number, replaced: Uint8Array, value: number): void {
  const delta = group.original - value;
  const scores = group.scores[probe]!;
  for (let index = 0; index < scores.length; index++) {
    const signed = replaced[index] ? delta : -delta;
    const x = Math.min(1 - edge, Math.max(edge, signed * 0.5 + 0.5));
    scores[index]! += Math.log(x / (1 - x));
  }
}

/** softmax of a probe's logit-scale scores: its importance distribution over the positions. */
export function importance(scores: Float64Array): Float64Array {
  // A loop, not Math.max(...scores): spreading 100,000+ positions overflows the call stack.
  let max = Number.NEGATIVE_INFINITY;
  for (const score of scores) if (score > max) max = score;
  const exp = scores.map((score) => Math.exp(score - max));
  const sum = exp.reduce((total, value) => total + value, 0);
  return exp.map((value) => value / sum);
}

/** How many top positions are kept (or, with invert_keep, replaced): keep_top_n, else ceil(keep_ratio × n). */
export function keptCount(settings: ReagentSettings, positions: number): number {
  const count =
    settings.keep_top_n > 0 ? settings.keep_top_n : Math.ceil((settings.keep_ratio ?? 0) * positions);
  return Math.min(positions, count);
}

/**
 * The stopping-condition input of a probe: the top positions by importance
 * are kept and all others replaced by sampled tokens (with `invert_keep`, the
 * top positions are replaced and the others kept).
 */
export function stopInput(
  group: ProbeGroup,
  probe: number,
  settings: ReagentSettings,
  sampler: TokenSampler,
): number[] {
  const weights = importance(group.scores[probe]!);
  const ranked = Array.from(weights.keys()).sort((a, b) => weights[b]! - weights[a]! || a - b);
  const top = new Set(ranked.slice(0, keptCount(settings, ranked.length)));
  const replaced = group.positions.map((_, index) => (top.has(index) === settings.invert_keep ? 1 : 0));
  return replacedIds(group, replaced, sampler);
}

/** Whether `targetId` is among the `k` highest logits (ties counted in its favour). */
export function inTopK(logits: ArrayLike<number>, targetId: number, k: number): boolean {
  const target = logits[targetId]!;
  let higher = 0;
  for (let v = 0; v < logits.length && higher < k; v++) if (logits[v]! > target) higher++;
  return higher < k;
}

/**
 * The step's scores: the mean importance over the probes that met the
 * stopping condition, or over all probes when none did.
 */
export function meanImportance(group: ProbeGroup): Float64Array {
  const mean = new Float64Array(group.positions.length);
  const converged = group.scores.filter((_, probe) => group.stopped[probe]);
  const used = converged.length > 0 ? converged : group.scores;
  for (const scores of used) {
    const weights = importance(scores);
    for (let index = 0; index < mean.length; index++) mean[index]! += weights[index]! / used.length;
  }
  return mean;
}
