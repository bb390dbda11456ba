import {
  type AttributionMethod,
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  parseParameters,
  seededNormal,
} from "@tokenscope/core";
import { z } from "zod";
import {
  type IntegratedGradientsParameters,
  integratedGradients,
  integrateSequence,
} from "./integrated-gradients.ts";
import { forEachPointGradient, type PointRow } from "./point-gradients.ts";
import { withNoise } from "./random.ts";
import { createStepTensors, stepOutput, writeStep } from "./step-tensors.ts";

const parameters = z.strictObject({
  base_method: z
    .enum(["saliency", "input_x_gradient", "integrated_gradients"])
    .default("saliency")
    .describe("The gradient method run on every noisy input (default saliency, i.e. SmoothGrad)."),
  nt_type: z
    .enum(["smoothgrad", "smoothgrad_sq", "vargrad"])
    .default("smoothgrad")
    .describe(
      "How samples combine (Captum's NoiseTunnel): mean, mean of squares, or variance of the attributions.",
    ),
  nt_samples: z.int().min(1).default(5).describe("Noise samples per input (Captum's default 5)."),
  stdevs: z
    .number()
    .nonnegative()
    .default(1)
    .describe(
      "Standard deviation of the Gaussian noise added to every input embedding component (default 1.0).",
    ),
  abs: z.boolean().default(true).describe("saliency only: absolute gradients (its own default, true)."),
  n_steps: z.int().min(1).default(50).describe("integrated_gradients only: points on the path (default 50)."),
  seed: z.int().default(42).describe("Seed of the noise samples."),
});

/** Parameters of {@link smoothGrad}. */
export type SmoothGradParameters = z.output<typeof parameters>;

/** Running Σa and Σa² of one step's per-sample attributions. */
interface Moments {
  sum: Float64Array;
  squares: Float64Array;
}

function combine(moments: Moments, samples: number, type: SmoothGradParameters["nt_type"]): Float64Array {
  const { sum, squares } = moments;
  return Float64Array.from(sum, (total, i) => {
    const mean = total / samples;
    const meanSquare = squares[i]! / samples;
    if (type === "smoothgrad") return mean;
    if (type === "smoothgrad_sq") return meanSquare;
    return meanSquare - mean * mean;
  });
}

function accumulate(moments: Map<number, Moments>, step: number, attribution: ArrayLike<number>): void {
  let entry = moments.get(step);
  if (!entry) {
    entry = { sum: new Float64Array(attribution.length), squares: new Float64Array(attribution.length) };
    moments.set(step, entry);
  }
  for (let i = 0; i < attribution.length; i++) {
    const value = attribution[i]!;
    entry.sum[i]! += value;
    entry.squares[i]! += value * value;
  }
}

/** Saliency / input × gradient: every step × noise sample in one batched gradient call. */
async function plainSamples(
  context: MethodContext<SmoothGradParameters>,
  sequence: MethodSequence,
  noisy: Float64Array[],
  float32: boolean,
  moments: Map<number, Moments>,
): Promise<number[]> {
  const { base_method, abs } = context.parameters;
  const rows: (PointRow & { sample: number })[] = [];
  for (const step of sequence.steps)
    for (const [sample, point] of noisy.entries()) rows.push({ step, point, sample });
  const values = new Array<number>(sequence.target.length).fill(0);
  await forEachPointGradient(context, sequence, rows, float32, "smooth_grad", (index, gradient, value) => {
    const { step, sample } = rows[index]!;
    const input = noisy[sample]!;
    const attribution =
      base_method === "input_x_gradient"
        ? Float64Array.from(input, (x, i) => x * gradient[i]!)
        : Float64Array.from(gradient, (g) => (abs ? Math.abs(g) : g));
    accumulate(moments, step, attribution);
    values[step]! += value / noisy.length;
  });
  return values;
}

/** Integrated gradients of every noisy input, one batched call (steps × points) per sample. */
async function integratedSamples(
  context: MethodContext<SmoothGradParameters>,
  sequence: MethodSequence,
  noisy: Float64Array[],
  moments: Map<number, Moments>,
): Promise<number[]> {
  const igContext: MethodContext<IntegratedGradientsParameters> = {
    ...context,
    parameters: parseParameters(
      integratedGradients.parameters,
      { n_steps: context.parameters.n_steps },
      integratedGradients.id,
    ),
  };
  const values = new Array<number>(sequence.target.length).fill(0);
  for (const input of noisy) {
    const output = await integrateSequence(igContext, sequence, input);
    const hidden = output.source.dims[2];
    const seq = sequence.source.length + sequence.target.length;
    for (const step of sequence.steps) {
      // Reassemble the full-input row [seq, hidden] from the source and target-prefix tensors.
      const row = new Float64Array(seq * hidden);
      const sources = sequence.source.length;
      row.set(output.source.data.subarray(step * sources * hidden, (step + 1) * sources * hidden), 0);
      const target = output.target;
      if (target) {
        const steps = sequence.target.length;
        for (let u = 0; u < step; u++)
          row.set(
            target.data.subarray((step * steps + u) * hidden, (step * steps + u + 1) * hidden),
            (sources + u) * hidden,
          );
      }
      accumulate(moments, step, row);
      values[step]! += output.stepScores![context.attributedFunction.id]![step]! / noisy.length;
    }
  }
  return values;
}

async function tunnelSequence(
  context: MethodContext<SmoothGradParameters>,
  sequence: MethodSequence,
): Promise<MethodSequenceOutput> {
  const { model, parameters: options } = context;
  const ids = decoderInputIds(sequence);
  const input = (await model.embed!([ids])).data;
  const normal = seededNormal(options.seed);
  const noisy = Array.from({ length: options.nt_samples }, () => withNoise(input, options.stdevs, normal));
  const moments = new Map<number, Moments>();
  const values =
    options.base_method === "integrated_gradients"
      ? await integratedSamples(context, sequence, noisy, moments)
      : await plainSamples(context, sequence, noisy, input instanceof Float32Array, moments);
  const tensors = createStepTensors(sequence, input.length / ids.length, context.attributeTarget);
  const scores = new Array<number>(sequence.target.length).fill(Number.NaN);
  for (const step of sequence.steps) {
    writeStep(tensors, sequence, step, combine(moments.get(step)!, noisy.length, options.nt_type));
    scores[step] = values[step]!;
  }
  // The step score is the attributed function averaged over the noisy inputs.
  return stepOutput(tensors, { [context.attributedFunction.id]: scores });
}

/** `smooth_grad`: a noise tunnel (SmoothGrad, SmoothGrad², VarGrad) over a gradient method of this package. */
export const smoothGrad: AttributionMethod<SmoothGradParameters> = {
  id: "smooth_grad",
  family: "gradient",
  summary:
    "Noise tunnel: a gradient method averaged (or squared, or its variance) over noisy input embeddings.",
  description:
    "Runs `base_method` (saliency, input_x_gradient or integrated_gradients) on `nt_samples` copies of the " +
    "input embeddings with Gaussian noise of standard deviation `stdevs` (absolute, per component, as " +
    "Captum) and combines the per-dimension attributions by `nt_type`: smoothgrad (mean), smoothgrad_sq " +
    "(mean of squares) or vargrad (variance). Saliency and input × gradient send every step × sample of a " +
    "sequence in one batched gradient call; integrated gradients one call (steps × points) per sample. " +
    "The step score is the attributed function averaged over the noisy inputs. `seed` fixes the noise. " +
    "Captum's NoiseTunnel (Smilkov et al., 2017; Adebayo et al., 2018).",
  references: ["https://arxiv.org/abs/1706.03825", "https://arxiv.org/abs/1810.03292"],
  requires: ["embed", "gradients"],
  supports: { targetPrefix: true, contrastive: false, batching: true },
  parameters,
  async run(context) {
    const outputs: MethodSequenceOutput[] = [];
    for (const sequence of context.sequences) outputs.push(await tunnelSequence(context, sequence));
    return outputs;
  },
};
