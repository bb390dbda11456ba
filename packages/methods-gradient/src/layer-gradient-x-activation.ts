import {
  type AttributionMethod,
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  TokenscopeError,
} from "@tokenscope/core";
import { z } from "zod";
import { checkGradientBudget } from "./batch-budget.ts";
import { forEachGradientRow } from "./gradient-rows.ts";
import { createStepTensors, stepOutput, writeStep } from "./step-tensors.ts";

const parameters = z.strictObject({
  layer: z
    .int()
    .nonnegative()
    .default(0)
    .describe(
      "Residual stream after this layer (0 = after the first block). Default 0: the closest to Inseq's default, the embedding layer.",
    ),
});

/** Parameters of {@link layerGradientXActivation}. */
export type LayerGradientXActivationParameters = z.output<typeof parameters>;

async function layerSequence(
  context: MethodContext<LayerGradientXActivationParameters>,
  sequence: MethodSequence,
): Promise<MethodSequenceOutput> {
  const { model, parameters: options } = context;
  if (options.layer >= model.info.numLayers) {
    throw new TokenscopeError(
      "INVALID_PARAMETERS",
      `layer ${options.layer} does not exist: model "${model.info.id}" has ${model.info.numLayers} layers.`,
      { hint: `Choose a layer from 0 to ${model.info.numLayers - 1}.`, details: { layer: options.layer } },
    );
  }
  const ids = decoderInputIds(sequence);
  const tensors = createStepTensors(sequence, model.info.hiddenSize, context.attributeTarget);
  const values = new Array<number>(sequence.target.length).fill(Number.NaN);
  await forEachGradientRow(
    context,
    sequence,
    {
      steps: sequence.steps,
      inputs: (start, end) => ({ ids: Array.from({ length: end - start }, () => ids) }),
      phase: "layer_gradient_x_activation",
      wrt: { kind: "residual", layer: options.layer },
    },
    ({ row, gradient, activation, value }) => {
      const step = sequence.steps[row]!;
      writeStep(
        tensors,
        sequence,
        step,
        Float64Array.from(gradient, (g, i) => g * activation[i]!),
      );
      values[step] = value;
    },
  );
  return stepOutput(tensors, { [context.attributedFunction.id]: values });
}

/** `layer_gradient_x_activation`: residual-stream activation × gradient at a chosen layer, per position. */
export const layerGradientXActivation: AttributionMethod<LayerGradientXActivationParameters> = {
  id: "layer_gradient_x_activation",
  family: "gradient",
  summary:
    "Activation × gradient of the residual stream after a chosen layer, per position and hidden dimension.",
  description:
    "For each target step t, h_L ⊙ ∂f_t/∂h_L where h_L is the residual stream after layer `layer` at every " +
    "position (source and target prefix), kept per hidden dimension (signed). attribute() reduces it per " +
    "token. Position i's residual after a causal layer mixes positions ≤ i, so this attributes to positions " +
    "of a layer's representation, not to input tokens alone. `layer` defaults to 0 (after the first block), " +
    "the nearest to Inseq's default (the embedding layer; for that, use input_x_gradient). All steps go " +
    "in one batched gradient call. Captum's LayerGradientXActivation." +
    " A contrastive attributed function (contrast_prob_diff, kl_divergence, ...) is differentiated through " +
    "both of its sides (Yin and Neubig, 2022): a contrast input that shares the prompt has the same residual " +
    "at the prompt's positions (the model is causal), so its own row's gradient there is added; a different " +
    "contrast prompt counts as a constant.",
  references: ["https://captum.ai/api/layer.html#layer-gradient-x-activation"],
  requires: ["embed", "gradients", "gradients.layer"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  async run(context) {
    // The run's longest sequence, before any gradient call: a run that cannot fit never starts.
    checkGradientBudget(context, "layer_gradient_x_activation");
    const outputs: MethodSequenceOutput[] = [];
    for (const sequence of context.sequences) outputs.push(await layerSequence(context, sequence));
    return outputs;
  },
};
