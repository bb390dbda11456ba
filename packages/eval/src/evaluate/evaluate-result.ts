import {
  type AttributionResult,
  type LanguageModel,
  TokenscopeError,
  throwIfAborted,
} from "@tokenscope/core";
import { reagentDistance } from "../metrics/distribution.ts";
import { type ProbeRow, runProbeRows } from "../metrics/forward-probes.ts";
import type { MetricContext, ProbeReading } from "../metrics/types.ts";
import { checkModelMatch } from "./model-match.ts";
import { type ResolvedOptions, resolveOptions } from "./options.ts";
import { type ImportanceDraw, planStep, probeKey, probeRow, type StepPlan } from "./probe-plan.ts";
import { attributedSteps } from "./steps.ts";
import { logRatio, meanWithError, sequenceValue } from "./summary.ts";
import type { EvaluateOptions, EvaluationReport, EvaluationStep, SequenceEvaluation } from "./types.ts";

function needsEmbeddings(options: ResolvedOptions): boolean {
  return (
    options.baseline === "zero" ||
    options.selections.some((selection) =>
      selection.definition
        .probes({ units: 1, k: selection.k, curve: options.curve })
        .some((probe) => probe.kind !== "erase"),
    )
  );
}

function checkModel(model: LanguageModel, options: ResolvedOptions): number | null {
  const missing = (capability: string, why: string): never => {
    throw new TokenscopeError(
      "MISSING_CAPABILITY",
      `Model "${model.info.id}" lacks "${capability}", which ${why}.`,
      {
        hint:
          model.capabilityNotes?.[capability as never] ??
          "Load the model in-process (a local or hub model), not through an API.",
        details: { capability, model: model.info.id },
      },
    );
  };
  if (!model.capabilities.has("forward") || !model.forward)
    missing("forward", "every faithfulness metric needs");
  if (needsEmbeddings(options) && (!model.capabilities.has("embed") || !model.embed)) {
    missing("embed", "the soft metrics and the zero-embedding baseline need (they mask input embeddings)");
  }
  const { baseline } = options;
  if (baseline === "zero") return null;
  if (baseline === "unk") {
    const unk = model.info.specialTokens.unk;
    if (unk === undefined) {
      throw new TokenscopeError(
        "INVALID_PARAMETERS",
        `Model "${model.info.id}" has no unk token to erase units with.`,
        {
          hint: 'Use baseline: "zero" (zero embeddings) or baseline: { id: <token id> }.',
          details: { model: model.info.id },
        },
      );
    }
    return unk;
  }
  if (baseline.id >= model.info.vocabSize) {
    throw new TokenscopeError(
      "INVALID_PARAMETERS",
      `baseline id ${baseline.id} is outside the vocabulary [0, ${model.info.vocabSize}) of "${model.info.id}".`,
      { hint: "Give the id of a token of this model.", details: { id: baseline.id } },
    );
  }
  return baseline.id;
}

interface SequenceWork {
  index: number;
  plans: StepPlan[];
  readings: Map<StepPlan, Map<string, ProbeReading>>;
}

async function runSequence(
  result: AttributionResult,
  work: SequenceWork,
  model: LanguageModel,
  options: ResolvedOptions,
  baselineId: number | null,
  control: { signal: AbortSignal | undefined; progress: (rows: number) => void },
): Promise<void> {
  const { plans } = work;
  if (plans.length === 0) return;
  const sequence = result.sequences[work.index]!;
  const needs = plans.some(
    (plan) =>
      plan.needsFull ||
      (baselineId === null && [...plan.probes.values()].some(({ probe }) => probe.kind === "erase")),
  );
  const longest = Math.max(...plans.map((plan) => plan.input.ids.length));
  let embeddings = null;
  let hidden = model.info.hiddenSize;
  if (needs) {
    const ids = [...sequence.source, ...sequence.target].slice(0, longest).map((token) => token.id!);
    const embedded = await model.embed!([ids]);
    embeddings = embedded.data;
    hidden = embedded.dims[2]!;
  }
  const material = { embeddings, hidden, baselineId, options };
  // Phase 1: the full input of every step whose soft probes read distances to it.
  const fullDistributions = new Map<StepPlan, Float64Array>();
  const fullPlans = plans.filter((plan) => plan.needsFull);
  await runProbeRows({
    model,
    hidden,
    batchSize: options.batchSize,
    rows: fullPlans.map((plan) => probeRow(plan, { kind: "full" }, null, material)),
    read: (probabilities, index) => {
      const plan = fullPlans[index]!;
      fullDistributions.set(plan, probabilities);
      work.readings.get(plan)!.set("full", { target: probabilities[plan.input.targetId]!, distance: 0 });
    },
    signal: control.signal,
    onBatch: control.progress,
  });
  // Phase 2: every other probe, all steps together.
  const rows: ProbeRow[] = [];
  const owners: { plan: StepPlan; key: string }[] = [];
  for (const plan of plans) {
    for (const [key, { probe, draw }] of plan.probes) {
      if (key === "full") continue;
      rows.push(probeRow(plan, probe, draw, material));
      owners.push({ plan, key });
    }
  }
  await runProbeRows({
    model,
    hidden,
    batchSize: options.batchSize,
    rows,
    read: (probabilities, index) => {
      const { plan, key } = owners[index]!;
      const full = fullDistributions.get(plan);
      work.readings.get(plan)!.set(key, {
        target: probabilities[plan.input.targetId]!,
        distance: full ? reagentDistance(probabilities, full) : Number.NaN,
      });
    },
    signal: control.signal,
    onBatch: control.progress,
  });
}

function stepValues(
  plan: StepPlan,
  readings: Map<string, ProbeReading>,
  options: ResolvedOptions,
): EvaluationStep {
  const row: EvaluationStep = { step: plan.input.step, target: plan.input.target };
  const units = plan.context.units;
  for (const selection of options.selections) {
    const { definition } = selection;
    const context: MetricContext = { ...plan.context, k: selection.k };
    const valuesOf = (draws: ImportanceDraw[]) => {
      const perKey = new Map<string, (number | null)[]>();
      for (const draw of draws) {
        const read = (probe: Parameters<typeof probeKey>[0]) => {
          const reading = readings.get(probeKey(probe, draw, units));
          if (!reading) throw new Error(`internal: probe ${probeKey(probe, draw, units)} was not planned`);
          return reading;
        };
        for (const [key, value] of Object.entries(definition.values(context, read))) {
          if (!perKey.has(key)) perKey.set(key, []);
          perKey.get(key)!.push(value);
        }
      }
      return perKey;
    };
    const attributionDraws = definition.stochastic
      ? Array.from({ length: options.samples }, (_, sample) => ({ ...plan.attribution, sample }))
      : [plan.attribution];
    const attribution = valuesOf(attributionDraws);
    const random = valuesOf(plan.random);
    for (const key of definition.keys(context)) {
      const own = meanWithError(attribution.get(key) ?? []);
      const baseline = meanWithError(random.get(key) ?? []);
      row[key] = own.mean;
      if (definition.stochastic && options.samples > 1) row[`${key}_se`] = own.se;
      row[`rand_${key}`] = baseline.mean;
      if (options.samples > 1) row[`rand_${key}_se`] = baseline.se;
    }
  }
  return row;
}

function summarize(steps: EvaluationStep[], options: ResolvedOptions): Record<string, number | null> {
  const keys = new Set<string>();
  for (const step of steps)
    for (const key of Object.keys(step)) if (key !== "step" && key !== "target") keys.add(key);
  const column = (key: string) =>
    steps.map((step) => (typeof step[key] === "number" ? (step[key] as number) : null));
  const sequence: Record<string, number | null> = {};
  for (const key of keys) sequence[key] = sequenceValue(key, column(key));
  for (const selection of options.selections) {
    if (!selection.definition.logRatio) continue;
    for (const key of selection.definition.keys({ units: 1, k: selection.k, curve: options.curve })) {
      sequence[`log_ratio_${key}`] = logRatio(column(key), column(`rand_${key}`));
    }
  }
  return sequence;
}

/**
 * Measures the faithfulness of every attributed step of a result on the model it explains, with a
 * random-attribution baseline computed the same way (`rand_<key>`), and summarises each sequence.
 *
 * Per step t (a target token whose attribution row is not empty), the input is the prompt and the
 * target tokens before t, the importance is the step's source row and target-prefix row (u < t),
 * normalised as `options.importance` says, and each selected metric (see `metricDefinitions`) is
 * computed from perturbed copies of the input, all sent through `model.forward` in batches of
 * `batchSize` rows. Mask-sampled metrics report the mean over `samples` draws and its standard error;
 * the random baseline draws a fresh softmax-of-uniform-noise importance per sample. The per-sequence
 * values are the means over the attributed steps; ReAGent's `log_ratio_<key>` is added for the soft
 * metrics.
 *
 * Throws `INVALID_PARAMETERS` for unknown metric ids (the message lists the valid ones), k outside
 * (0, 1], samples < 1 and other bad options; `INVALID_INPUT` for a result made with another model (see
 * `sameModel`), tokens without ids (merged words), and a result without the target-prefix
 * attributions its steps need; `MISSING_CAPABILITY` for a model without forward (or embed, for the soft
 * metrics); `ABORTED` when `signal` fires.
 */
export async function evaluateResult(
  result: AttributionResult,
  model: LanguageModel,
  evaluateOptions: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const options = resolveOptions(evaluateOptions);
  if (!options.allowModelMismatch) checkModelMatch(result, model);
  const baselineId = checkModel(model, options);
  const work: SequenceWork[] = result.sequences.map((sequence, index) => {
    const plans = attributedSteps(sequence, index, model.info.vocabSize, options.unattributedPrefix).map(
      (input) => planStep(input, options),
    );
    return { index, plans, readings: new Map(plans.map((plan) => [plan, new Map()])) };
  });
  const total = work.reduce(
    (sum, item) => sum + item.plans.reduce((rows, plan) => rows + plan.probes.size, 0),
    0,
  );
  let completed = 0;
  const progress = (rows: number) => {
    completed += rows;
    evaluateOptions.onProgress?.({ phase: "evaluate", completed, total });
  };
  evaluateOptions.onProgress?.({ phase: "evaluate", completed: 0, total });
  const parameters = {
    metrics: options.selections.flatMap((selection) =>
      selection.definition.usesK
        ? selection.k.map((k) => `${selection.definition.id}@${k}`)
        : [selection.definition.id],
    ),
    k: options.k,
    samples: options.samples,
    seed: options.seed,
    baseline: options.baseline,
    importance: options.importance,
    curve: options.curve,
    unattributedPrefix: options.unattributedPrefix,
    ...(evaluateOptions.noise ? { noise: "custom" } : {}),
  };
  const sequences: SequenceEvaluation[] = [];
  for (const item of work) {
    throwIfAborted(evaluateOptions.signal);
    await runSequence(result, item, model, options, baselineId, { signal: evaluateOptions.signal, progress });
    const steps = item.plans.map((plan) => stepValues(plan, item.readings.get(plan)!, options));
    sequences.push({ steps, sequence: summarize(steps, options), parameters });
  }
  return { sequences };
}
