import {
  type AttributionMethod,
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  parseParameters,
  seededNormal,
  sizeParameter,
  sourceLengthsFor,
  withLimit,
} from "@tokenscope/core";
import { z } from "zod";
import { CONTRASTIVE_DESCRIPTION } from "./contrast-rows.ts";
import {
  type IntegratedGradientsParameters,
  integratedGradients,
  integrateSequence,
} from "./integrated-gradients.ts";
import { forEachPointGradient } from "./point-gradients.ts";
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
  nt_samples: sizeParameter("samples", 1)
    .default(5)
    .describe(withLimit("Noise samples per input (Captum's default 5).", "samples")),
  stdevs: z
    .number()
    .nonnegative()
    .default(1)
    .describe(
      "Standard deviation of the Gaussian noise added to every input embedding component (default 1.0).",
    ),
  abs: z.boolean().default(true).describe("saliency only: absolute gradients (its own default, true)."),
  n_steps: sizeParameter("integrationSteps", 1)
    .default(50)
    .describe(withLimit("integrated_gradients only: points on the path (default 50).", "integrationSteps")),
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

/**
 * The noisy inputs of one sequence, drawn in order when first asked for and dropped once used, so
 * that `nt_samples` inputs [seq, hidden] are never all held at once; the same seed gives the same
 * inputs as drawing them all up front.
 */
function createNoiseStream(input: ArrayLike<number>, options: SmoothGradParameters) {
  const normal = seededNormal(options.seed);
  const live = new Map<number, Float64Array>();
  let drawn = 0;
  return {
    count: options.nt_samples,
    /** Noisy input `index`; inputs must be asked for in increasing order. */
    get(index: number): Float64Array {
      for (; drawn <= index; drawn++) live.set(drawn, withNoise(input, options.stdevs, normal));
      return live.get(index)!;
    },
    release(index: number): void {
      live.delete(index);
    },
  };
}

type NoiseStream = ReturnType<typeof createNoiseStream>;

/** Saliency / input × gradient: every noise sample × step in one batched gradient call. */
async function plainSamples(
  context: MethodContext<SmoothGradParameters>,
  sequence: MethodSequence,
  noisy: NoiseStream,
  float32: boolean,
  moments: Map<number, Moments>,
): Promise<number[]> {
  const { base_method, abs } = context.parameters;
  const { steps } = sequence;
  // Sample-major rows: each step still accumulates its samples in order.
  const values = new Array<number>(sequence.target.length).fill(0);
  await forEachPointGradient(
    context,
    sequence,
    {
      count: noisy.count * steps.length,
      stepOf: (index) => steps[index % steps.length]!,
      pointOf: (index) => noisy.get(Math.floor(index / steps.length)),
    },
    float32,
    "smooth_grad",
    (index, gradient, value) => {
      const sample = Math.floor(index / steps.length);
      const step = steps[index % steps.length]!;
      const input = noisy.get(sample);
      const attribution =
        base_method === "input_x_gradient"
          ? Float64Array.from(input, (x, i) => x * gradient[i]!)
          : Float64Array.from(gradient, (g) => (abs ? Math.abs(g) : g));
      accumulate(moments, step, attribution);
      values[step]! += value / noisy.count;
      if (index % steps.length === steps.length - 1) noisy.release(sample);
    },
  );
  return values;
}

/** Integrated gradients of every noisy input, one batched call (steps × points) per sample. */
async function integratedSamples(
  context: MethodContext<SmoothGradParameters>,
  sequence: MethodSequence,
  noisy: NoiseStream,
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
  for (let sample = 0; sample < noisy.count; sample++) {
    const output = await integrateSequence(igContext, sequence, noisy.get(sample));
    noisy.release(sample);
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
      values[step]! += output.stepScores![context.attributedFunction.id]![step]! / noisy.count;
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
  const input = (await model.embed!([ids], sourceLengthsFor(model, [sequence.source.length]))).data;
  const noisy = createNoiseStream(input, options);
  const moments = new Map<number, Moments>();
  const values =
    options.base_method === "integrated_gradients"
      ? await integratedSamples(context, sequence, noisy, moments)
      : await plainSamples(context, sequence, noisy, input instanceof Float32Array, moments);
  const tensors = createStepTensors(sequence, input.length / ids.length, context.attributeTarget);
  const scores = new Array<number>(sequence.target.length).fill(Number.NaN);
  for (const step of sequence.steps) {
    writeStep(tensors, sequence, step, combine(moments.get(step)!, noisy.count, options.nt_type));
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
    "Captum's NoiseTunnel (Smilkov et al., 2017; Adebayo et al., 2018)." +
    " " +
    CONTRASTIVE_DESCRIPTION,
  references: ["https://arxiv.org/abs/1706.03825", "https://arxiv.org/abs/1810.03292"],
  requires: ["embed", "gradients"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  async run(context) {
    const outputs: MethodSequenceOutput[] = [];
    for (const sequence of context.sequences) outputs.push(await tunnelSequence(context, sequence));
    return outputs;
  },
};
