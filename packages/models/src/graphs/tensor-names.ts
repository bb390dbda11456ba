/**
 * The stable tensor names every decoder graph uses, whatever its family. Taps carry these names
 * inside the graph even when they are not graph outputs, so that autodiff can differentiate with
 * respect to them and `exposeTensors` can add them as outputs later.
 */

/** Graph inputs and the main output. */
export const decoderTensorNames = {
  /** int64 [batch, seq]: token ids (option `input: "ids"`). */
  inputIds: "input_ids",
  /** float [batch, seq, hidden]: token embeddings replacing the lookup (option `input: "embeds"`). */
  inputsEmbeds: "inputs_embeds",
  /** int64 [batch, seq]: 1 for a real token, 0 for padding (left padding works). */
  attentionMask: "attention_mask",
  /** int64 [batch, seq]: position of each token (for left padding: count real tokens only). */
  positionIds: "position_ids",
  /** int64 [batch, P]: the positions whose logits are computed (option `gatherLogits`). */
  logitPositions: "logit_positions",
  /** float [batch, seq, hidden]: the residual stream entering layer 0 (token plus learned position embeddings). */
  embeddings: "embeddings",
  /** float [batch, seq | P, vocab]. */
  logits: "logits",
} as const;

/** float [batch, heads, seq, seq]: softmax attention weights of layer `layer` (rows: queries). */
export function attentionProbsName(layer: number): string {
  return `attention_probs.${layer}`;
}

/** float [batch, kvHeads, seq, headDim]: the value vectors of layer `layer`. */
export function valuesName(layer: number): string {
  return `values.${layer}`;
}

/** float [batch, seq, hidden]: the residual stream after layer `layer`. */
export function residualName(layer: number): string {
  return `residual.${layer}`;
}

/** float [batch, seq, intermediate]: feed-forward activations of layer `layer`, after the nonlinearity. */
export function mlpName(layer: number): string {
  return `mlp.${layer}`;
}

/**
 * float [batch, heads, seq] graph input (option `valueZeroing`): multiplies the value vector of each
 * query head at each key position in layer `layer` (1 keeps it, 0 zeroes it).
 */
export function valueMaskName(layer: number): string {
  return `value_mask.${layer}`;
}

/**
 * float [batch, kvHeads, past, headDim] graph input (option `kvCache`): the keys of layer `layer` at
 * the positions already processed, after rotary, as the previous run's `present_key.{layer}` gave them.
 */
export function pastKeyName(layer: number): string {
  return `past_key.${layer}`;
}

/** float [batch, kvHeads, past, headDim] graph input (option `kvCache`): the earlier value vectors of layer `layer`. */
export function pastValueName(layer: number): string {
  return `past_value.${layer}`;
}

/** float [batch, kvHeads, past + seq, headDim] graph output (option `kvCache`): past and new keys, after rotary. */
export function presentKeyName(layer: number): string {
  return `present_key.${layer}`;
}

/** float [batch, kvHeads, past + seq, headDim] graph output (option `kvCache`): past and new value vectors. */
export function presentValueName(layer: number): string {
  return `present_value.${layer}`;
}
