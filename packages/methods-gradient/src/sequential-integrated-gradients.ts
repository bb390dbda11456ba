import {
  type AttributionMethod,
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  sizeParameter,
  sourceLengthsFor,
  stepPosition,
  withLimit,
} from "@tokenscope/core";
import { z } from "zod";
import { baselineEmbeddings } from "./baseline.ts";
import { CONTRASTIVE_DESCRIPTION } from "./contrast-rows.ts";
import { forEachGradientRow } from "./gradient-rows.ts";
import { integrationMethods, needsTwoPoints, quadrature } from "./quadrature.ts";
import { createStepTensors, stepOutput, writeStep } from "./step-tensors.ts";

const parameters = z
  .strictObject({
    n_steps: sizeParameter("integrationSteps", 1)
      .default(50)
      .describe(withLimit("Points on each position's path (Inseq's default 50).", "integrationSteps")),
    method: z
      .enum(integrationMethods)
      .default("gausslegendre")
      .describe(
        "Quadrature rule: Captum's (gausslegendre, the default; riemann_left, _right, _middle, _trapezoid, exactly as Captum's, whose trapezoid weights sum to (n − 1)/n) or trapezoid (the textbook rule, weights summing to 1).",
      ),
    baseline: z
      .union([z.enum(["unk", "pad", "zero"]), z.array(z.number()).min(1)])
      .default("unk")
      .describe(
        'Baseline embedding of the interpolated position: "unk" (else padding), "pad", "zero" or a custom embedding vector.',
      ),
  })
  .refine((value) => !needsTwoPoints(value.method) || value.n_steps >= 2, {
    message: "the trapezoid rules need n_steps ≥ 2",
    path: ["n_steps"],
  });

/** Parameters of {@link sequentialIntegratedGradients}. */
export type SequentialIntegratedGradientsParameters = z.output<typeof parameters>;

/** One batch row: step `step`, position `position` at α on its own path, the others at the input. */
interface Row {
  step: number;
  /** The interpolated position; −1 for the clean input (value only). */
  position: number;
  alpha: number;
  /** Quadrature weight; 0 for value-only rows (the path's ends). */
  weight: number;
}

function rowsOf(sequence: MethodSequence, alphas: ArrayLike<number>, weights: ArrayLike<number>): Row[] {
  const rows: Row[] = [];
  for (const step of sequence.steps) {
    rows.push({ step, position: -1, alpha: 1, weight: 0 });
    // Positions after the objective's own cannot reach it in a causal model: their attribution is 0.
    for (let position = 0; position <= stepPosition(sequence, step); position++) {
      rows.push({ step, position, alpha: 0, weight: 0 });
      for (let k = 0; k < alphas.length; k++)
        rows.push({ step, position, alpha: alphas[k]!, weight: weights[k]! });
    }
  }
  return rows;
}

async function sequentialSequence(
  context: MethodContext<SequentialIntegratedGradientsParameters>,
  sequence: MethodSequence,
): Promise<MethodSequenceOutput> {
  const { model, parameters: options } = context;
  const ids = decoderInputIds(sequence);
  const seq = ids.length;
  const input = (await model.embed!([ids], sourceLengthsFor(model, [sequence.source.length]))).data;
  const hidden = input.length / seq;
  const baseline = await baselineEmbeddings(model, sequence, input, options.baseline, []);
  const { alphas, weights } = quadrature(options.method, options.n_steps);
  const rows = rowsOf(sequence, alphas, weights);
  const length = sequence.target.length;
  const sums = sequence.target.map(() => new Float64Array(seq * hidden));
  const inputScores = new Array<number>(length).fill(Number.NaN);
  const ablatedScores = sequence.target.map(() => new Array<number>(seq).fill(Number.NaN));
  await forEachGradientRow(
    context,
    sequence,
    {
      steps: rows.map((row) => row.step),
      inputs: (start, end) => {
        // Same element type as the model's own embeddings, so a float32 model is fed float32.
        const size = seq * hidden;
        const data =
          input instanceof Float32Array
            ? new Float32Array((end - start) * size)
            : new Float64Array((end - start) * size);
        for (let index = start; index < end; index++) {
          const { position, alpha } = rows[index]!;
          const offset = (index - start) * size;
          data.set(input, offset);
          if (position < 0) continue;
          for (let d = 0; d < hidden; d++) {
            const i = position * hidden + d;
            data[offset + i] = baseline[i]! + alpha * (input[i]! - baseline[i]!);
          }
        }
        return { embeddings: { data, dims: [end - start, seq, hidden] } };
      },
      phase: "sequential_integrated_gradients",
    },
    ({ row, gradient, value }) => {
      const { step, position, weight } = rows[row]!;
      if (position < 0) inputScores[step] = value;
      else if (weight === 0) ablatedScores[step]![position] = value;
      else {
        // Only the interpolated position's own gradient enters its attribution.
        const sum = sums[step]!;
        for (let i = position * hidden; i < (position + 1) * hidden; i++) sum[i]! += weight * gradient[i]!;
      }
    },
  );
  const tensors = createStepTensors(sequence, hidden, context.attributeTarget);
  const deltas = new Array<number>(length).fill(Number.NaN);
  const positionDeltas: (number | null)[][] = sequence.target.map(() => new Array(seq).fill(null));
  for (const step of sequence.steps) {
    const attribution = Float64Array.from(sums[step]!, (value, i) => value * (input[i]! - baseline[i]!));
    writeStep(tensors, sequence, step, attribution);
    let worst = 0;
    for (let position = 0; position <= stepPosition(sequence, step); position++) {
      let total = 0;
      for (let i = position * hidden; i < (position + 1) * hidden; i++) total += attribution[i]!;
      const delta = total - (inputScores[step]! - ablatedScores[step]![position]!);
      positionDeltas[step]![position] = delta;
      if (Math.abs(delta) > Math.abs(worst)) worst = delta;
    }
    deltas[step] = worst;
  }
  return stepOutput(
    tensors,
    { [context.attributedFunction.id]: inputScores, deltas },
    { positionDeltas, ablatedScores },
  );
}

/** `sequential_integrated_gradients`: integrated gradients of one position at a time, the others held at the input. */
export const sequentialIntegratedGradients: AttributionMethod<SequentialIntegratedGradientsParameters> = {
  id: "sequential_integrated_gradients",
  family: "gradient",
  summary:
    "Sequential integrated gradients: each position's own path from a baseline, the others kept at the input.",
  description:
    "For each target step t and each position i it can see, integrated gradients along the path that moves " +
    "only position i from the baseline embedding to its input embedding while every other position keeps " +
    "its input embedding: (x_i − x′_i) ⊙ Σ_k w_k ∇_{x_i} f_t(x with x_i = x′_i + α_k (x_i − x′_i)). " +
    "Completeness holds per position: the attributions of position i sum to f_t(x) − f_t(x with x_i = x′_i) " +
    "up to the quadrature error; extras.positionDeltas records each miss (extras.ablatedScores the " +
    "ablated values) and the step score `deltas` the largest of a step. Every step × position × point of " +
    "a sequence goes in one batched gradient call (split by the memory budget). Enguehard (2023), as " +
    "Inseq's `sequential_integrated_gradients`, with unk/pad/zero baselines." +
    " " +
    CONTRASTIVE_DESCRIPTION,
  references: ["https://arxiv.org/abs/2305.15853"],
  requires: ["embed", "gradients"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  async run(context) {
    const outputs: MethodSequenceOutput[] = [];
    for (const sequence of context.sequences) outputs.push(await sequentialSequence(context, sequence));
    return outputs;
  },
};
