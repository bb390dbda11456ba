/**
 * What a model can do for a method. A method lists the capabilities it
 * needs; the engine checks them before running (see `assertCapabilities`).
 */
export const capabilityDocs = {
  tokenize: "tokenize and detokenize text with character offsets",
  embed: "map token ids to input embeddings",
  forward: "compute logits from token ids or input embeddings, batched",
  gradients: "gradients of a scalar objective with respect to input embeddings, with the logits",
  "gradients.layer": "gradients with respect to an internal tensor (the residual stream of a layer)",
  "gradients.recompute":
    "gradients with each layer's activations recomputed in the backward pass (`recompute: true`), holding one layer's at a time",
  "taps.attention": "attention probabilities per layer and head",
  "taps.values": "value vectors per layer and head",
  "taps.residual": "the residual stream after each layer",
  "taps.mlp": "MLP activations per layer",
  "interventions.valueZeroing": "zero chosen value vectors during the forward pass",
  "interventions.embeddings": "replace chosen input embeddings during the forward pass",
  "interventions.residual":
    "replace the residual stream after a layer (forward and gradients start from the given activations)",
  generate: "greedy and sampled generation with stop tokens and forced or constrained targets",
  chatTemplate: "format a conversation with the model's chat template",
} as const;

/** One capability a model may declare. */
export type Capability = keyof typeof capabilityDocs;

/** Every capability, in documentation order. */
export const capabilities = Object.keys(capabilityDocs) as Capability[];
