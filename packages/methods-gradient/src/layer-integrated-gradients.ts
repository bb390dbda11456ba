import {
  type AttributionMethod,
  type DenseTensor,
  decoderInputIds,
  evaluateStepFunction,
  getStepFunction,
  type LanguageModel,
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  sizeParameter,
  type TensorData,
  TokenscopeError,
  targetId,
  throwIfAborted,
  withLimit,
} from "@tokenscope/core";
import { z } from "zod";
import { baselineTokenId, checkKeep } from "./baseline.ts";
import { checkGradientBudget, gradientCallRows } from "./batch-budget.ts";
import { stepObjective } from "./gradient-rows.ts";
import { interpolated, type PathRow } from "./integration-path.ts";
import { integrationMethods, needsTwoPoints, quadrature } from "./quadrature.ts";
import { createStepTensors, stepOutput, writeStep } from "./step-tensors.ts";

const parameters = z
  .strictObject({
    layer: z
      .int()
      .nonnegative()
      .default(0)
      .describe(
        "Residual stream after this layer (0 = after the first block). Default 0: the closest to Inseq's default, the embedding layer.",
      ),
    n_steps: sizeParameter("integrationSteps", 1)
      .default(50)
      .describe(
        withLimit(
          "Points on the path from the baseline residual to the input residual (Inseq's default 50).",
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
      .enum(["unk", "pad", "zero"])
      .default("unk")
      .describe(
        'Baseline residual h′: the residual the model computes at `layer` when every position holds the "unk" token (else padding) or the "pad" token, or "zero" (a zero residual).',
      ),
    keep: z
      .array(z.int().nonnegative())
      .default([])
      .describe(
        "Token indices (source from 0, then target) kept at their input token (unk, pad) or input residual (zero), e.g. [0] for BOS.",
      ),
  })
  .refine((value) => !needsTwoPoints(value.method) || value.n_steps >= 2, {
    message: "the trapezoid rules need n_steps ≥ 2",
    path: ["n_steps"],
  });

/** Parameters of {@link layerIntegratedGradients}. */
export type LayerIntegratedGradientsParameters = z.output<typeof parameters>;

const PHASE = "layer_integrated_gradients";

function invalidParameters(message: string, hint: string, details: Record<string, unknown>): TokenscopeError {
  return new TokenscopeError("INVALID_PARAMETERS", message, { hint, details });
}

function checkLayer(model: LanguageModel, layer: number): void {
  if (layer >= model.info.numLayers) {
    throw invalidParameters(
      `layer ${layer} does not exist: model "${model.info.id}" has ${model.info.numLayers} layers.`,
      `Choose a layer from 0 to ${model.info.numLayers - 1}.`,
      { layer },
    );
  }
}

/** The ids whose residual is the baseline: the baseline token everywhere but at `keep`. */
function baselineIds(
  model: LanguageModel,
  ids: readonly number[],
  choice: "unk" | "pad",
  keep: number[],
): number[] {
  const id = baselineTokenId(model, choice, 'Use baseline "zero".');
  return ids.map((original, position) => (keep.includes(position) ? original : id));
}

/** The residual after `layer` [1, seq, hidden] that the model computes from `ids`. */
async function residualOf(
  context: MethodContext<LayerIntegratedGradientsParameters>,
  ids: number[],
): Promise<DenseTensor> {
  const { model, parameters: options } = context;
  const { taps } = await model.forward!({
    inputs: { ids: [ids] },
    positions: [[ids.length - 1]],
    taps: { residual: true, layers: [options.layer] },
    ...(context.signal ? { signal: context.signal } : {}),
  });
  const residual = taps?.residual?.[0];
  if (residual === undefined || residual.data.length !== ids.length * model.info.hiddenSize) {
    throw new TokenscopeError(
      "MISSING_CAPABILITY",
      `Model "${model.info.id}" returned no residual stream of layer ${options.layer} [1, ${ids.length}, ${model.info.hiddenSize}] for a taps request.`,
      { hint: "The model must implement taps.residual for the layers it is asked for." },
    );
  }
  return residual;
}

/** The input residual h and the baseline residual h′ after the chosen layer, each [seq, hidden]. */
async function pathEnds(
  context: MethodContext<LayerIntegratedGradientsParameters>,
  ids: number[],
): Promise<{ input: TensorData; baseline: Float64Array }> {
  const { model, parameters: options } = context;
  checkKeep(options.keep, ids.length);
  const input = (await residualOf(context, ids)).data;
  if (options.baseline !== "zero") {
    const baselineRun = await residualOf(context, baselineIds(model, ids, options.baseline, options.keep));
    return { input, baseline: Float64Array.from(baselineRun.data) };
  }
  const baseline = new Float64Array(input.length);
  const hidden = input.length / ids.length;
  for (const position of options.keep) {
    baseline.set(input.subarray(position * hidden, (position + 1) * hidden), position * hidden);
  }
  return { input, baseline };
}

/**
 * Rows of every step: the rule's points, then α = 0 and α = 1 (weight 0) for f(h′) and f(h). Ordered
 * by point, then step: every step at one point has the same input, which the model runs once.
 */
function pathRows(steps: readonly number[], options: LayerIntegratedGradientsParameters): PathRow[] {
  const { alphas, weights } = quadrature(options.method, options.n_steps);
  const points = [
    ...Array.from(alphas, (alpha, k) => ({ alpha, weight: weights[k]! })),
    { alpha: 0, weight: 0 },
    { alpha: 1, weight: 0 },
  ];
  return points.flatMap((point) => steps.map((step) => ({ step, ...point })));
}

/** Layer integrated gradients of one sequence. */
async function layerIntegrateSequence(
  context: MethodContext<LayerIntegratedGradientsParameters>,
  sequence: MethodSequence,
): Promise<MethodSequenceOutput> {
  const { model, parameters: options } = context;
  const ids = decoderInputIds(sequence);
  const seq = ids.length;
  const { input, baseline } = await pathEnds(context, ids);
  const size = baseline.length;
  const difference = Float64Array.from(input, (value, i) => value - baseline[i]!);
  const rows = pathRows(sequence.steps, options);
  const gradientSums = new Map(sequence.steps.map((step) => [step, new Float64Array(size)]));
  const values = new Float64Array(rows.length);

  // Smaller calls than the budget allows where one would hold the event loop for long (Ctrl-C).
  const callRows = gradientCallRows(context, PHASE, seq);
  for (let start = 0; start < rows.length; start += callRows) {
    throwIfAborted(context.signal);
    const end = Math.min(rows.length, start + callRows);
    const steps = rows.slice(start, end).map((row) => row.step);
    const result = await model.gradients!({
      inputs: { ids: steps.map(() => ids) },
      objective: stepObjective(context, sequence, steps),
      wrt: { kind: "residual", layer: options.layer },
      interventions: [
        {
          kind: "replaceResidual",
          layer: options.layer,
          values: {
            data: interpolated({ input, baseline, difference }, rows, start, end),
            dims: [end - start, seq, size / seq],
          },
        },
      ],
      ...(context.signal ? { signal: context.signal } : {}),
    });
    const vocab = result.logits.dims[result.logits.dims.length - 1]!;
    for (let index = 0; index < steps.length; index++) {
      const row = start + index;
      let value = result.objective[index]!;
      // A model may leave the objective out (NaN); the logits it used give the same value.
      if (!Number.isFinite(value)) {
        value = evaluateStepFunction(
          getStepFunction(context.attributedFunction.id),
          {
            logits: result.logits.data.subarray(index * vocab, (index + 1) * vocab),
            targetId: targetId(sequence, steps[index]!),
            parameters: context.attributedFunction.parameters,
          },
          { withGradient: false },
        ).value;
      }
      values[row] = value;
      const { weight } = rows[row]!;
      if (weight === 0) continue;
      const sum = gradientSums.get(steps[index]!)!;
      const gradient = result.gradients.data.subarray(index * size, (index + 1) * size);
      for (let i = 0; i < size; i++) sum[i]! += weight * gradient[i]!;
    }
    context.onProgress?.({ phase: PHASE, completed: end, total: rows.length });
  }

  const length = sequence.target.length;
  const tensors = createStepTensors(sequence, size / seq, context.attributeTarget);
  const inputScores = new Array<number>(length).fill(Number.NaN);
  const deltas = new Array<number>(length).fill(Number.NaN);
  const baselineScores: (number | null)[] = new Array<number | null>(length).fill(null);
  const points: (number | null)[] = new Array<number | null>(length).fill(null);
  // Rows are point-major: the value rows at α = 0 and α = 1 follow the rule's points, step by step.
  const stepCount = sequence.steps.length;
  sequence.steps.forEach((step, index) => {
    const attribution = Float64Array.from(gradientSums.get(step)!, (value, i) => value * difference[i]!);
    writeStep(tensors, sequence, step, attribution);
    const baselineValue = values[options.n_steps * stepCount + index]!;
    const inputValue = values[(options.n_steps + 1) * stepCount + index]!;
    let total = 0;
    for (const value of attribution) total += value;
    inputScores[step] = inputValue;
    baselineScores[step] = baselineValue;
    deltas[step] = total - (inputValue - baselineValue);
    points[step] = options.n_steps;
  });
  return stepOutput(
    tensors,
    { [context.attributedFunction.id]: inputScores, deltas },
    { points, baselineScores },
  );
}

/** `layer_integrated_gradients`: integrated gradients on the residual stream after a chosen layer. */
export const layerIntegratedGradients: AttributionMethod<LayerIntegratedGradientsParameters> = {
  id: "layer_integrated_gradients",
  family: "gradient",
  summary:
    "Integrated gradients on the residual stream after a chosen layer: (h − h′) ⊙ ∫₀¹ ∇f(h′ + α (h − h′)) dα.",
  description:
    "For each target step t, (h − h′) ⊙ Σ_k w_k ∇f_t(h′ + α_k (h − h′)), where h is the residual stream after " +
    "layer `layer` that the model computes from the input, and h′ the baseline residual: the one computed from " +
    "the unk (else pad) or pad token at every position, or zero; positions in `keep` keep their input token " +
    "(or, with the zero baseline, their input residual). Each interpolated residual replaces the layer's " +
    "output (the layers up to it are skipped) and the gradient is taken with respect to it. Kept per position " +
    "and hidden dimension, signed; attribute() reduces it per token. Completeness: a step's attributions sum " +
    "to f_t(h) − f_t(h′) up to the quadrature error, recorded as the step score `deltas`; extras.baselineScores " +
    "holds f_t(h′) and extras.points the points per step. Position i's residual after a causal layer mixes " +
    "positions ≤ i, so this attributes to positions of a layer's representation, not to input tokens alone. " +
    "Every step and point of a sequence go in one batched gradient call (split by the memory budget). Inseq's " +
    "`layer_integrated_gradients` (Captum's LayerIntegratedGradients) on the residual stream; `layer` defaults " +
    "to 0 (after the first block), the nearest to Inseq's default, the embedding layer (for that, use " +
    "integrated_gradients).",
  references: [
    "https://arxiv.org/abs/1703.01365",
    "https://captum.ai/api/layer.html#layer-integrated-gradients",
  ],
  requires: ["forward", "gradients", "gradients.layer", "taps.residual", "interventions.residual"],
  supports: { targetPrefix: true, contrastive: false, batching: true },
  parameters,
  async run(context) {
    checkLayer(context.model, context.parameters.layer);
    // Before the forward passes of the path's ends: a run that cannot fit makes no model call.
    checkGradientBudget(context, PHASE);
    const outputs: MethodSequenceOutput[] = [];
    for (const sequence of context.sequences) outputs.push(await layerIntegrateSequence(context, sequence));
    return outputs;
  },
};
