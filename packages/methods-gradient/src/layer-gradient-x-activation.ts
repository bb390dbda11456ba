import {
  type AttributionMethod,
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  TokenscopeError,
} from "@tokenscope/core";
import { z } from "zod";
import { checkGradientBudget, gradientRowsPerCall } from "./batch-budget.ts";
import { stepObjective } from "./gradient-rows.ts";
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
  const seq = ids.length;
  const tensors = createStepTensors(sequence, model.info.hiddenSize, context.attributeTarget);
  const values = new Array<number>(sequence.target.length).fill(Number.NaN);
  const chunk = gradientRowsPerCall(model.info, seq, context.memoryBudgetBytes);
  for (let start = 0; start < sequence.steps.length; start += chunk) {
    const steps = sequence.steps.slice(start, start + chunk);
    const result = await model.gradients!({
      inputs: { ids: steps.map(() => ids) },
      objective: stepObjective(context, sequence, steps),
      wrt: { kind: "residual", layer: options.layer },
      ...(context.signal ? { signal: context.signal } : {}),
    });
    const size = seq * result.gradients.dims[2]!;
    steps.forEach((step, index) => {
      const gradient = result.gradients.data.subarray(index * size, (index + 1) * size);
      const activation = result.activations.data.subarray(index * size, (index + 1) * size);
      writeStep(
        tensors,
        sequence,
        step,
        Float64Array.from(gradient, (g, i) => g * activation[i]!),
      );
      values[step] = result.objective[index]!;
    });
    context.onProgress?.({
      phase: "layer_gradient_x_activation",
      completed: start + steps.length,
      total: sequence.steps.length,
    });
  }
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
    "in one batched gradient call. Captum's LayerGradientXActivation.",
  references: ["https://captum.ai/api/layer.html#layer-gradient-x-activation"],
  requires: ["embed", "gradients", "gradients.layer"],
  supports: { targetPrefix: true, contrastive: false, batching: true },
  parameters,
  async run(context) {
    // The run's longest sequence, before any gradient call: a run that cannot fit never starts.
    checkGradientBudget(context, "layer_gradient_x_activation");
    const outputs: MethodSequenceOutput[] = [];
    for (const sequence of context.sequences) outputs.push(await layerSequence(context, sequence));
    return outputs;
  },
};
