import {
  type AttributionMethod,
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  seededNormal,
  seededUniform,
  sizeParameter,
  sourceLengthsFor,
  withLimit,
} from "@tokenscope/core";
import { z } from "zod";
import { baselineEmbeddings } from "./baseline.ts";
import { CONTRASTIVE_DESCRIPTION } from "./contrast-rows.ts";
import { forEachPointGradient } from "./point-gradients.ts";
import { withNoise } from "./random.ts";
import { createStepTensors, stepOutput, writeStep } from "./step-tensors.ts";

const baselineChoice = z.union([z.enum(["unk", "pad", "zero"]), z.array(z.number()).min(1)]);

const parameters = z.strictObject({
  n_samples: sizeParameter("samples", 1)
    .default(5)
    .describe(
      withLimit("Random (baseline, interpolation point) samples per step (Captum's default 5).", "samples"),
    ),
  stdevs: z
    .number()
    .nonnegative()
    .default(0)
    .describe(
      "Standard deviation of the Gaussian noise added to the input embeddings per sample (default 0).",
    ),
  baselines: z
    .union([baselineChoice, z.array(baselineChoice).min(1)])
    .default("unk")
    .describe(
      'The baseline distribution, sampled uniformly: one of "unk", "pad", "zero" or a custom embedding vector (as integrated_gradients), or a list of them.',
    ),
  keep: z
    .array(z.int().nonnegative())
    .default([])
    .describe("Token indices (source from 0, then target) kept at their input embedding in every baseline."),
  seed: z.int().default(42).describe("Seed of the baseline, interpolation-point and noise samples."),
});

/** Parameters of {@link gradientShap}. */
export type GradientShapParameters = z.output<typeof parameters>;

type Choice = z.output<typeof baselineChoice>;

/** A single baseline choice or a list; a bare number array is one custom vector, not a list. */
function choicesOf(baselines: GradientShapParameters["baselines"]): Choice[] {
  if (typeof baselines === "string") return [baselines];
  if (baselines.every((value) => typeof value === "number")) return [baselines as number[]];
  return baselines as Choice[];
}

interface Sample {
  /** x̃ − x′: the factor of the sample's gradient. */
  difference: Float64Array;
  /** x′ + α (x̃ − x′), where the sample's gradient is taken. */
  point: Float64Array;
}

/**
 * The samples of one sequence, drawn in order as their rows come up and dropped once used: the
 * baseline index and α of every sample are drawn first (two numbers each, from their own stream),
 * the noisy input only when the sample's first row is built, so 100,000 samples never hold 100,000
 * copies of the input. The same seed gives the same samples as drawing them all at once.
 */
function createSampleStream(
  input: ArrayLike<number>,
  baselines: readonly Float64Array[],
  options: GradientShapParameters,
) {
  const uniform = seededUniform(options.seed);
  const normal = seededNormal(options.seed ^ 0x5bd1e995);
  const baselineIndices: number[] = [];
  const alphas: number[] = [];
  for (let s = 0; s < options.n_samples; s++) {
    baselineIndices.push(Math.min(baselines.length - 1, Math.floor(uniform() * baselines.length)));
    alphas.push(uniform());
  }
  const live = new Map<number, Sample>();
  let drawn = 0;
  return {
    baselineIndices,
    alphas,
    /** Sample `index`; samples must be asked for in increasing order. */
    get(index: number): Sample {
      for (; drawn <= index; drawn++) {
        const noisy = withNoise(input, options.stdevs, normal);
        const from = baselines[baselineIndices[drawn]!]!;
        const alpha = alphas[drawn]!;
        const difference = Float64Array.from(noisy, (value, i) => value - from[i]!);
        const point = Float64Array.from(difference, (value, i) => from[i]! + alpha * value);
        live.set(drawn, { difference, point });
      }
      return live.get(index)!;
    },
    release(index: number): void {
      live.delete(index);
    },
  };
}

async function shapSequence(
  context: MethodContext<GradientShapParameters>,
  sequence: MethodSequence,
): Promise<MethodSequenceOutput> {
  const { model, parameters: options } = context;
  const ids = decoderInputIds(sequence);
  const input = (await model.embed!([ids], sourceLengthsFor(model, [sequence.source.length]))).data;
  const baselines: Float64Array[] = [];
  for (const choice of choicesOf(options.baselines))
    baselines.push(await baselineEmbeddings(model, sequence, input, choice, options.keep));
  const samples = createSampleStream(input, baselines, options);
  const size = input.length;
  const inputPoint = Float64Array.from(input);
  const { steps } = sequence;
  const sampleRows = options.n_samples * steps.length;
  const valueRows = 1 + baselines.length;

  // Sample-major rows (every step of sample 0, then of sample 1, ...), then per step value-only rows
  // at the input and at every baseline (for deltas). Each step still sums its samples in order.
  const rowAt = (index: number) => {
    if (index < sampleRows)
      return { sample: Math.floor(index / steps.length), stepIndex: index % steps.length, role: -1 };
    const rest = index - sampleRows;
    return { sample: -1, stepIndex: Math.floor(rest / valueRows), role: rest % valueRows };
  };
  const length = sequence.target.length;
  const sums = new Map<number, Float64Array>();
  const inputScores = new Array<number>(length).fill(Number.NaN);
  const baselineScores = sequence.target.map(() => new Array<number>(baselines.length).fill(Number.NaN));
  await forEachPointGradient(
    context,
    sequence,
    {
      count: sampleRows + steps.length * valueRows,
      stepOf: (index) => steps[rowAt(index).stepIndex]!,
      pointOf(index) {
        const { sample, role } = rowAt(index);
        if (sample >= 0) return samples.get(sample).point;
        return role === 0 ? inputPoint : baselines[role - 1]!;
      },
    },
    input instanceof Float32Array,
    "gradient_shap",
    (index, gradient, value) => {
      const { sample, stepIndex, role } = rowAt(index);
      const step = steps[stepIndex]!;
      if (sample < 0) {
        if (role === 0) inputScores[step] = value;
        else baselineScores[step]![role - 1] = value;
        return;
      }
      const { difference } = samples.get(sample);
      let sum = sums.get(step);
      if (!sum) {
        sum = new Float64Array(size);
        sums.set(step, sum);
      }
      for (let i = 0; i < size; i++) sum[i]! += (gradient[i]! * difference[i]!) / options.n_samples;
      if (stepIndex === steps.length - 1) samples.release(sample);
    },
  );
  const tensors = createStepTensors(sequence, size / ids.length, context.attributeTarget);
  const deltas = new Array<number>(length).fill(Number.NaN);
  const counts = baselines.map(
    (_, index) => samples.baselineIndices.filter((chosen) => chosen === index).length,
  );
  for (const step of steps) {
    const attribution = sums.get(step)!;
    writeStep(tensors, sequence, step, attribution);
    // Captum's delta: Σ attributions − (f(x) − mean over the drawn baselines of f(x′)).
    let expectedBaseline = 0;
    baselineScores[step]!.forEach((score, index) => {
      expectedBaseline += (score * counts[index]!) / options.n_samples;
    });
    let total = 0;
    for (const value of attribution) total += value;
    deltas[step] = total - (inputScores[step]! - expectedBaseline);
  }
  return stepOutput(
    tensors,
    { [context.attributedFunction.id]: inputScores, deltas },
    { alphas: samples.alphas, baselineIndices: samples.baselineIndices },
  );
}

/** `gradient_shap`: expected gradients over random baselines and random points on the path to the input. */
export const gradientShap: AttributionMethod<GradientShapParameters> = {
  id: "gradient_shap",
  family: "gradient",
  summary:
    "GradientSHAP: E[(x̃ − x′) ⊙ ∇f(x′ + α (x̃ − x′))] over random baselines x′, α ~ U(0, 1) and input noise.",
  description:
    "For each target step t, the mean over `n_samples` samples of (x̃ − x′) ⊙ ∇f_t(x′ + α (x̃ − x′)), where the " +
    "baseline x′ is drawn uniformly from `baselines` (unk, pad, zero or custom embeddings, as " +
    "integrated_gradients), α uniformly from [0, 1] and x̃ is the input embeddings plus Gaussian noise of " +
    "standard deviation `stdevs`. Its expectation with no noise and one baseline is integrated gradients; " +
    "it approximates SHAP values (Lundberg and Lee, 2017). The step score `deltas` is Σ attributions − " +
    "(f(x) − mean f(x′)) over the drawn baselines. Samples are shared by all steps of a sequence and every " +
    "step × sample goes in one batched gradient call; `seed` fixes them. extras: the drawn alphas and " +
    "baseline indices. Same as Inseq's `gradient_shap` (Captum's GradientShap)." +
    " " +
    CONTRASTIVE_DESCRIPTION,
  references: ["https://arxiv.org/abs/1705.07874"],
  requires: ["embed", "gradients"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  async run(context) {
    const outputs: MethodSequenceOutput[] = [];
    for (const sequence of context.sequences) outputs.push(await shapSequence(context, sequence));
    return outputs;
  },
};
