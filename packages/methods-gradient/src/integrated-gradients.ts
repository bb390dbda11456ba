import {
  type AttributionMethod,
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  type TensorData,
} from "@tokenscope/core";
import { z } from "zod";
import { baselineEmbeddings } from "./baseline.ts";
import { integratePath, type PathEnds, type PathRow } from "./integration-path.ts";
import { integrationMethods, quadrature } from "./quadrature.ts";
import { createStepTensors, stepOutput, writeStep } from "./step-tensors.ts";

const parameters = z
  .strictObject({
    n_steps: z
      .int()
      .min(1)
      .default(50)
      .describe("Points on the path from the baseline to the input (Inseq's default 50)."),
    method: z
      .enum(integrationMethods)
      .default("gausslegendre")
      .describe("Quadrature rule (Captum's names; default gausslegendre, as Captum and Inseq)."),
    baseline: z
      .union([z.enum(["unk", "pad", "zero"]), z.array(z.number()).min(1)])
      .default("unk")
      .describe(
        'Baseline embedding at every position: "unk" (the unknown token, else padding), "pad", "zero", or a custom embedding vector of the hidden size.',
      ),
    keep: z
      .array(z.int().nonnegative())
      .default([])
      .describe(
        "Token indices (source from 0, then target) kept at their input embedding, e.g. [0] for BOS.",
      ),
    tolerance: z
      .number()
      .positive()
      .optional()
      .describe(
        "Adaptive mode: double the points of a step until |delta| ≤ tolerance × |f(input) − f(baseline)| or max_n_steps is reached.",
      ),
    max_n_steps: z.int().min(1).default(512).describe("Most points per step in adaptive mode."),
  })
  .refine((value) => value.method !== "riemann_trapezoid" || value.n_steps >= 2, {
    message: "riemann_trapezoid needs n_steps ≥ 2",
    path: ["n_steps"],
  });

/** Parameters of {@link integratedGradients}. */
export type IntegratedGradientsParameters = z.output<typeof parameters>;

/** Convergence below this absolute delta counts as reached even when f(input) = f(baseline). */
const ABSOLUTE_FLOOR = 1e-12;

function sum(values: Float64Array): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/**
 * Integrated gradients of one sequence; `inputOverride` [seq, hidden] replaces
 * the token embeddings as the path's end (smooth_grad's noisy inputs).
 */
export async function integrateSequence(
  context: MethodContext<IntegratedGradientsParameters>,
  sequence: MethodSequence,
  inputOverride?: Float64Array,
): Promise<MethodSequenceOutput> {
  const { model, parameters: options } = context;
  const ids = decoderInputIds(sequence);
  const embedded = (await model.embed!([ids])).data;
  const input: TensorData = inputOverride
    ? embedded instanceof Float32Array
      ? Float32Array.from(inputOverride)
      : inputOverride
    : embedded;
  const baseline = await baselineEmbeddings(model, sequence, input, options.baseline, options.keep);
  const difference = Float64Array.from(input, (value, index) => value - baseline[index]!);
  const ends: PathEnds = { input, baseline, difference };
  const length = sequence.target.length;
  const tensors = createStepTensors(sequence, input.length / ids.length, context.attributeTarget);
  const inputScores = new Array<number>(length).fill(Number.NaN);
  const baselineScores: (number | null)[] = new Array<number | null>(length).fill(null);
  const deltas = new Array<number>(length).fill(Number.NaN);
  const points: (number | null)[] = new Array<number | null>(length).fill(null);

  let pending = [...sequence.steps];
  let n = options.n_steps;
  let first = true;
  while (pending.length > 0) {
    const { alphas, weights } = quadrature(options.method, n);
    const rows: PathRow[] = [];
    for (const step of pending) {
      // The path's ends, for f(input) and f(baseline): weight 0, value only, in the same batch.
      if (first) rows.push({ step, alpha: 1, weight: 0 }, { step, alpha: 0, weight: 0 });
      for (let k = 0; k < alphas.length; k++) rows.push({ step, alpha: alphas[k]!, weight: weights[k]! });
    }
    const { gradientSums, values } = await integratePath(
      context,
      sequence,
      ends,
      rows,
      "integrated_gradients",
    );
    if (first) {
      rows.forEach((row, index) => {
        if (row.weight !== 0) return;
        if (row.alpha === 1) inputScores[row.step] = values[index]!;
        else baselineScores[row.step] = values[index]!;
      });
    }
    const unconverged: number[] = [];
    for (const step of pending) {
      const attribution = Float64Array.from(gradientSums.get(step)!, (value, i) => value * difference[i]!);
      writeStep(tensors, sequence, step, attribution);
      const change = inputScores[step]! - baselineScores[step]!;
      deltas[step] = sum(attribution) - change;
      points[step] = n;
      const tolerated = Math.max((options.tolerance ?? 0) * Math.abs(change), ABSOLUTE_FLOOR);
      if (Math.abs(deltas[step]!) > tolerated) unconverged.push(step);
    }
    first = false;
    if (options.tolerance === undefined || n * 2 > options.max_n_steps) break;
    pending = unconverged;
    n *= 2;
  }
  return stepOutput(
    tensors,
    { [context.attributedFunction.id]: inputScores, deltas },
    { points, baselineScores },
  );
}

/** `integrated_gradients`: path integral of gradients from a baseline to the input, per embedding component. */
export const integratedGradients: AttributionMethod<IntegratedGradientsParameters> = {
  id: "integrated_gradients",
  family: "gradient",
  summary: "Integrated gradients: (x − x′) ⊙ ∫₀¹ ∇f(x′ + α (x − x′)) dα per embedding component (signed).",
  description:
    "For each target step t, (x − x′) ⊙ Σ_k w_k ∇f_t(x′ + α_k (x − x′)): the gradient of the attributed " +
    "function averaged along the straight path from a baseline x′ to the input embeddings x, times their " +
    "difference, per embedding component, signed. Completeness: the attributions of a step sum to " +
    "f_t(x) − f_t(x′) up to the quadrature error, recorded per step as the step score `deltas` = " +
    "Σ attributions − (f(x) − f(x′)). `baseline` replaces every position (BOS and other special tokens " +
    "included) unless listed in `keep`. Quadrature: `method` with `n_steps` points (Gauss–Legendre nodes " +
    "computed here). With `tolerance`, steps whose |delta| exceeds tolerance × |f(x) − f(x′)| are recomputed " +
    "with twice the points, up to `max_n_steps`; extras.points records the points each step used and " +
    "extras.baselineScores f(x′). Every step and point of a sequence goes to the model in one batched " +
    "gradient call (split by the memory budget). Same as Inseq's `integrated_gradients` (Sundararajan et " +
    "al., 2017; Captum's IntegratedGradients), defaults included.",
  references: ["https://arxiv.org/abs/1703.01365"],
  requires: ["embed", "gradients"],
  supports: { targetPrefix: true, contrastive: false, batching: true },
  parameters,
  async run(context) {
    const outputs: MethodSequenceOutput[] = [];
    for (const sequence of context.sequences) outputs.push(await integrateSequence(context, sequence));
    return outputs;
  },
};
