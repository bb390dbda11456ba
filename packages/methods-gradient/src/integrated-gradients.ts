import {
  type AttributionMethod,
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  sizeParameter,
  sourceLengthsFor,
  type TensorData,
  withLimit,
} from "@tokenscope/core";
import { z } from "zod";
import { refinePath } from "./adaptive-path.ts";
import { baselineEmbeddings } from "./baseline.ts";
import { CONTRASTIVE_DESCRIPTION } from "./contrast-rows.ts";
import type { PathEnds } from "./integration-path.ts";
import { integrationMethods, needsTwoPoints } from "./quadrature.ts";
import { evaluateSegments } from "./segment-gradients.ts";
import { createStepTensors, stepOutput, writeStep } from "./step-tensors.ts";

const parameters = z
  .strictObject({
    n_steps: sizeParameter("integrationSteps", 1)
      .default(50)
      .describe(
        withLimit(
          "Points on the path from the baseline to the input (Inseq's default 50).",
          "integrationSteps",
        ),
      ),
    method: z
      .enum(integrationMethods)
      .default("gausslegendre")
      .describe(
        "Quadrature rule: Captum's (gausslegendre, the default as in Captum and Inseq; riemann_left, _right, _middle, _trapezoid, exactly as Captum's, whose trapezoid weights sum to (n − 1)/n) or trapezoid (the textbook rule, weights summing to 1).",
      ),
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
        "Adaptive mode: while a step's |delta| > tolerance × |f(input) − f(baseline)|, split the path segments with the largest own completeness gap (cut toward where the path derivative is concentrated) and integrate only the new halves with min(n_steps, 8) points each, until met or max_n_steps is spent.",
      ),
    max_n_steps: sizeParameter("integrationSteps", 1)
      .default(1024)
      .describe(
        withLimit(
          "Most gradient points per step in adaptive mode, the first n_steps included (default 1024: the zero baseline on stories260K needs up to ~750 at tolerance 0.01).",
          "integrationSteps",
        ),
      ),
  })
  .refine((value) => !needsTwoPoints(value.method) || value.n_steps >= 2, {
    message: "the trapezoid rules need n_steps ≥ 2",
    path: ["n_steps"],
  })
  .refine((value) => value.tolerance === undefined || value.method !== "riemann_trapezoid", {
    message:
      "riemann_trapezoid's weights sum to (n − 1)/n (Captum's rule), so adaptive refinement cannot meet a tolerance: use method trapezoid",
    path: ["method"],
  });

/** Parameters of {@link integratedGradients}. */
export type IntegratedGradientsParameters = z.output<typeof parameters>;

/** Convergence below this absolute delta counts as reached even when f(input) = f(baseline). */
const ABSOLUTE_FLOOR = 1e-12;

/** Points of the rule on each segment made by an adaptive split (fewer when n_steps is smaller). */
const SEGMENT_POINTS = 8;

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
  const embedded = (await model.embed!([ids], sourceLengthsFor(model, [sequence.source.length]))).data;
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

  const segmentSums = new Map<number, Float64Array>();
  const paths = await refinePath({
    steps: sequence.steps,
    method: options.method,
    firstPoints: options.n_steps,
    segmentPoints: Math.min(options.n_steps, SEGMENT_POINTS),
    tolerance: options.tolerance,
    absoluteFloor: ABSOLUTE_FLOOR,
    maxPoints: options.max_n_steps,
    evaluate: (rows) => evaluateSegments(context, sequence, ends, rows, segmentSums, "integrated_gradients"),
  });
  const segments: (number | null)[] = new Array<number | null>(length).fill(null);
  for (const [step, path] of paths) {
    const [first, ...rest] = path.segments.map((segment) => segmentSums.get(segment.id)!);
    // One segment (no refinement) keeps the plain rule's sum untouched, bit for bit.
    const gradientSum = rest.length === 0 ? first! : Float64Array.from(first!);
    for (const part of rest) for (let i = 0; i < part.length; i++) gradientSum[i]! += part[i]!;
    const attribution = Float64Array.from(gradientSum, (value, i) => value * difference[i]!);
    writeStep(tensors, sequence, step, attribution);
    inputScores[step] = path.inputValue;
    baselineScores[step] = path.baselineValue;
    deltas[step] = sum(attribution) - (path.inputValue - path.baselineValue);
    points[step] = path.points;
    segments[step] = path.segments.length;
  }
  return stepOutput(
    tensors,
    { [context.attributedFunction.id]: inputScores, deltas },
    { points, segments, baselineScores },
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
    "computed here). With `tolerance`, adaptive per-segment quadrature: each segment [a, b] of the path " +
    "has its own exact integral f(b) − f(a), hence its own gap (the gaps sum to the step's delta); while " +
    "|delta| > tolerance × |f(x) − f(x′)|, the segments with the largest gaps are split, closer to the end " +
    "where the path derivative is concentrated, and only the new halves are integrated (min(n_steps, 8) " +
    "points each), up to `max_n_steps` points. This resolves RMSNorm models at a zero baseline, nearly " +
    "singular at α → 0, which uniform refinement never does. extras.points: gradient points each step " +
    "used (discarded segments included; value-only rows at the path's ends and at split points not " +
    "counted); extras.segments: its final segments; extras.baselineScores: f(x′). Each round sends every " +
    "unconverged step and point of a sequence to the model in one batched " +
    "gradient call (split by the memory budget). Same as Inseq's `integrated_gradients` (Sundararajan et " +
    "al., 2017; Captum's IntegratedGradients), defaults included, with one difference: Inseq keeps EOS " +
    "positions at EOS in the baseline (include_eos_baseline=False), here every position takes the baseline " +
    "unless listed in `keep` (in a decoder-only prompt and its generated prefix EOS does not occur)." +
    " " +
    CONTRASTIVE_DESCRIPTION,
  references: ["https://arxiv.org/abs/1703.01365"],
  requires: ["embed", "gradients"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  async run(context) {
    const outputs: MethodSequenceOutput[] = [];
    for (const sequence of context.sequences) outputs.push(await integrateSequence(context, sequence));
    return outputs;
  },
};
