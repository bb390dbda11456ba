import type { TensorData } from "@tokenscope/core";
import type { ProbeRow } from "../metrics/forward-probes.ts";
import { importanceOrder, normalizeImportance, randomImportance } from "../metrics/importance.ts";
import type { ImportanceSource, MetricContext, Probe } from "../metrics/types.ts";
import type { ResolvedOptions } from "./options.ts";
import type { StepInput } from "./steps.ts";

/** One importance vector of a step: the attribution's, or random draw `sample`. */
export interface ImportanceDraw {
  source: ImportanceSource;
  sample: number;
  /** Normalised weight per unit. */
  weights: Float64Array;
  /** Units from most to least important. */
  order: number[];
}

/** A step with its importance vectors and the probes its metrics need, keyed for deduplication. */
export interface StepPlan {
  input: StepInput;
  context: Omit<MetricContext, "k">;
  attribution: ImportanceDraw;
  /** Random-baseline draws, one per sample. */
  random: ImportanceDraw[];
  /** Probe key → probe and the importance it was asked for. */
  probes: Map<string, { probe: Probe; draw: ImportanceDraw | null }>;
  /** Whether the step needs its full input's distribution (soft and all-masked probes read distances to it). */
  needsFull: boolean;
}

/**
 * The key of a probe: equal keys are the same model input, so they are computed once. Full and
 * all-masked inputs do not depend on importance; hard erasure depends on it only through the erased
 * set, so erasing nothing or everything is shared by every draw; the attribution's erasures do not
 * depend on the sample.
 */
export function probeKey(probe: Probe, draw: ImportanceDraw, units: number): string {
  switch (probe.kind) {
    case "full":
    case "zero":
      return probe.kind;
    case "soft":
      return `${draw.source}:${draw.sample}:soft:${probe.keep}`;
    case "erase": {
      const erased = probe.keep === "rest" ? probe.count : units - probe.count;
      if (erased <= 0) return "erase:none";
      if (erased >= units) return "erase:all";
      const owner = draw.source === "attribution" ? "attribution" : `random:${draw.sample}`;
      return `${owner}:erase:${probe.keep}:${probe.count}`;
    }
  }
}

/** Plans one step: its importance draws and the deduplicated probes of every selected metric. */
export function planStep(input: StepInput, options: ResolvedOptions): StepPlan {
  const units = input.unitPositions.length;
  const context = { units, curve: options.curve };
  const weights = normalizeImportance(input.scores, options.importance);
  const attribution: ImportanceDraw = {
    source: "attribution",
    sample: 0,
    weights,
    order: importanceOrder(weights),
  };
  const random = Array.from({ length: options.samples }, (_, sample): ImportanceDraw => {
    const uniforms = options.noise({
      purpose: "random-importance",
      importance: "random",
      sequence: input.sequence,
      step: input.step,
      sample,
      length: units,
    });
    const randomWeights = randomImportance(uniforms);
    return { source: "random", sample, weights: randomWeights, order: importanceOrder(randomWeights) };
  });
  const probes = new Map<string, { probe: Probe; draw: ImportanceDraw | null }>();
  let needsFull = false;
  for (const selection of options.selections) {
    const metricContext: MetricContext = { ...context, k: selection.k };
    const attributionDraws: ImportanceDraw[] = selection.definition.stochastic
      ? Array.from({ length: options.samples }, (_, sample) => ({ ...attribution, sample }))
      : [attribution];
    for (const draw of [...attributionDraws, ...random]) {
      for (const probe of selection.definition.probes(metricContext)) {
        if (probe.kind === "soft" || probe.kind === "zero") needsFull = true;
        const key = probeKey(probe, draw, units);
        if (!probes.has(key))
          probes.set(key, { probe, draw: probe.kind === "full" || probe.kind === "zero" ? null : draw });
      }
    }
  }
  if (needsFull) probes.set("full", { probe: { kind: "full" }, draw: null });
  return { input, context, attribution, random, probes, needsFull };
}

/** What a probe row is built from: the step's embeddings (when needed) and the erasure baseline. */
interface RowMaterial {
  /** Input embeddings of the sequence's longest step [positions, hidden], row-major. */
  embeddings: TensorData | null;
  hidden: number;
  /** Token id that replaces erased units, or null for the zero embedding. */
  baselineId: number | null;
  options: ResolvedOptions;
}

function stepEmbeddings(plan: StepPlan, material: RowMaterial): TensorData {
  const length = plan.input.ids.length * material.hidden;
  const source = material.embeddings!;
  return source instanceof Float64Array ? source.slice(0, length) : (source as Float32Array).slice(0, length);
}

function erasedUnits(probe: Extract<Probe, { kind: "erase" }>, draw: ImportanceDraw): number[] {
  return probe.keep === "rest" ? draw.order.slice(0, probe.count) : draw.order.slice(probe.count);
}

/** The model input of one probe of a step, built when its batch is sent. */
export function probeRow(
  plan: StepPlan,
  probe: Probe,
  draw: ImportanceDraw | null,
  material: RowMaterial,
): ProbeRow {
  const { input } = plan;
  const length = input.ids.length;
  const hidden = material.hidden;
  if (probe.kind === "erase" && material.baselineId !== null) {
    const baselineId = material.baselineId;
    return {
      length,
      kind: "ids",
      input: () => {
        const ids = [...input.ids];
        for (const unit of erasedUnits(probe, draw!)) ids[input.unitPositions[unit]!] = baselineId;
        return { ids };
      },
    };
  }
  return {
    length,
    kind: "embeddings",
    input: () => {
      const embeddings = stepEmbeddings(plan, material);
      if (probe.kind === "zero") {
        for (const position of input.unitPositions)
          embeddings.fill(0, position * hidden, (position + 1) * hidden);
      } else if (probe.kind === "erase") {
        for (const unit of erasedUnits(probe, draw!)) {
          const position = input.unitPositions[unit]!;
          embeddings.fill(0, position * hidden, (position + 1) * hidden);
        }
      } else if (probe.kind === "soft") {
        const uniforms = material.options.noise({
          purpose: probe.keep === "importance" ? "sufficiency-mask" : "comprehensiveness-mask",
          importance: draw!.source,
          sequence: input.sequence,
          step: input.step,
          sample: draw!.sample,
          length: length * hidden,
        });
        input.unitPositions.forEach((position, unit) => {
          const weight = draw!.weights[unit]!;
          const keep = probe.keep === "importance" ? weight : 1 - weight;
          for (let d = position * hidden; d < (position + 1) * hidden; d++) {
            // ReAGent: feature_mask = rand < keep_ratio; masked = embedding * feature_mask.
            if (!(uniforms[d]! < keep)) embeddings[d] = 0;
          }
        });
      }
      return { embeddings };
    },
  };
}
