import {
  type AttributionMethod,
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  seededNormal,
  seededUniform,
} from "@tokenscope/core";
import { z } from "zod";
import { baselineEmbeddings } from "./baseline.ts";
import { forEachPointGradient, type PointRow } from "./point-gradients.ts";
import { withNoise } from "./random.ts";
import { createStepTensors, stepOutput, writeStep } from "./step-tensors.ts";

const baselineChoice = z.union([z.enum(["unk", "pad", "zero"]), z.array(z.number()).min(1)]);

const parameters = z.strictObject({
  n_samples: z
    .int()
    .min(1)
    .default(5)
    .describe("Random (baseline, interpolation point) samples per step (Captum's default 5)."),
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
  baseline: number;
  alpha: number;
  /** The (noisy) input x̃ of the sample. */
  input: Float64Array;
  /** x̃ − x′: the factor of the sample's gradient. */
  difference: Float64Array;
  point: Float64Array;
}

function drawSamples(
  input: ArrayLike<number>,
  baselines: readonly Float64Array[],
  options: GradientShapParameters,
): Sample[] {
  const uniform = seededUniform(options.seed);
  const normal = seededNormal(options.seed ^ 0x5bd1e995);
  const samples: Sample[] = [];
  for (let s = 0; s < options.n_samples; s++) {
    const baseline = Math.min(baselines.length - 1, Math.floor(uniform() * baselines.length));
    const alpha = uniform();
    const noisy = withNoise(input, options.stdevs, normal);
    const from = baselines[baseline]!;
    const difference = Float64Array.from(noisy, (value, i) => value - from[i]!);
    const point = Float64Array.from(difference, (value, i) => from[i]! + alpha * value);
    samples.push({ baseline, alpha, input: noisy, difference, point });
  }
  return samples;
}

async function shapSequence(
  context: MethodContext<GradientShapParameters>,
  sequence: MethodSequence,
): Promise<MethodSequenceOutput> {
  const { model, parameters: options } = context;
  const ids = decoderInputIds(sequence);
  const input = (await model.embed!([ids])).data;
  const baselines: Float64Array[] = [];
  for (const choice of choicesOf(options.baselines))
    baselines.push(await baselineEmbeddings(model, sequence, input, choice, options.keep));
  const samples = drawSamples(input, baselines, options);
  const size = input.length;
  const inputPoint = Float64Array.from(input);

  // Per step: its samples' rows, then value-only rows at the input and at every baseline (for deltas).
  const rows: (PointRow & { sample: number; role: "sample" | "input" | number })[] = [];
  for (const step of sequence.steps) {
    samples.forEach((sample, index) => {
      rows.push({ step, point: sample.point, sample: index, role: "sample" });
    });
    rows.push({ step, point: inputPoint, sample: -1, role: "input" });
    baselines.forEach((baseline, index) => {
      rows.push({ step, point: baseline, sample: -1, role: index });
    });
  }
  const length = sequence.target.length;
  const sums = new Map<number, Float64Array>();
  const inputScores = new Array<number>(length).fill(Number.NaN);
  const baselineScores = sequence.target.map(() => new Array<number>(baselines.length).fill(Number.NaN));
  await forEachPointGradient(
    context,
    sequence,
    rows,
    input instanceof Float32Array,
    "gradient_shap",
    (index, gradient, value) => {
      const row = rows[index]!;
      if (row.role === "input") inputScores[row.step] = value;
      else if (typeof row.role === "number") baselineScores[row.step]![row.role] = value;
      else {
        const { difference } = samples[row.sample]!;
        let sum = sums.get(row.step);
        if (!sum) {
          sum = new Float64Array(size);
          sums.set(row.step, sum);
        }
        for (let i = 0; i < size; i++) sum[i]! += (gradient[i]! * difference[i]!) / samples.length;
      }
    },
  );
  const tensors = createStepTensors(sequence, size / ids.length, context.attributeTarget);
  const deltas = new Array<number>(length).fill(Number.NaN);
  const counts = baselines.map((_, index) => samples.filter((sample) => sample.baseline === index).length);
  for (const step of sequence.steps) {
    const attribution = sums.get(step)!;
    writeStep(tensors, sequence, step, attribution);
    // Captum's delta: Σ attributions − (f(x) − mean over the drawn baselines of f(x′)).
    let expectedBaseline = 0;
    baselineScores[step]!.forEach((score, index) => {
      expectedBaseline += (score * counts[index]!) / samples.length;
    });
    let total = 0;
    for (const value of attribution) total += value;
    deltas[step] = total - (inputScores[step]! - expectedBaseline);
  }
  return stepOutput(
    tensors,
    { [context.attributedFunction.id]: inputScores, deltas },
    {
      alphas: samples.map((sample) => sample.alpha),
      baselineIndices: samples.map((sample) => sample.baseline),
    },
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
    "baseline indices. Same as Inseq's `gradient_shap` (Captum's GradientShap).",
  references: ["https://arxiv.org/abs/1705.07874"],
  requires: ["embed", "gradients"],
  supports: { targetPrefix: true, contrastive: false, batching: true },
  parameters,
  async run(context) {
    const outputs: MethodSequenceOutput[] = [];
    for (const sequence of context.sequences) outputs.push(await shapSequence(context, sequence));
    return outputs;
  },
};
