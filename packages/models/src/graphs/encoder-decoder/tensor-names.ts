/**
 * Stable tensor names of encoder-decoder graphs. The internal ones exist inside every graph, on the
 * computation path (so autodiff can differentiate with respect to them); `taps` adds them as outputs.
 */
export const encoderDecoderTensorNames = {
  /** int64 [batch, src]: source token ids (option `input: "ids"`). */
  inputIds: "input_ids",
  /** float [batch, src, hidden]: source token embeddings, unscaled (option `input: "embeds"`). */
  inputsEmbeds: "inputs_embeds",
  /** int64 [batch, src]: 1 for a real source token, 0 for padding. */
  attentionMask: "attention_mask",
  /** int64 [batch, tgt]: target token ids. */
  decoderInputIds: "decoder_input_ids",
  /** float [batch, tgt, hidden]: target token embeddings, unscaled. */
  decoderInputsEmbeds: "decoder_inputs_embeds",
  /** int64 [batch, tgt]: 1 for a real target token, 0 for padding. */
  decoderAttentionMask: "decoder_attention_mask",
  /** float [batch, tgt, targetVocab]. */
  logits: "logits",
  /** float [batch, src, hidden]: the encoder's output after its final LayerNorm (what cross-attention reads). */
  encoderHiddenStates: "encoder_hidden_states",
} as const;

/** The stacks and attentions of an encoder-decoder; prefixes of the per-layer names. */
export type AttentionKind = "encoder" | "decoder" | "cross";

/** float [batch, seq, hidden]: scaled token embeddings plus positions entering layer 0 of `stack`. */
export function stackEmbeddingsName(stack: "encoder" | "decoder"): string {
  return `${stack}.embeddings`;
}

/** float [batch, seq, hidden]: the residual stream after layer `layer` of `stack`. */
export function stackResidualName(stack: "encoder" | "decoder", layer: number): string {
  return `${stack}.residual.${layer}`;
}

/**
 * float [batch, heads, queries, keys]: softmax weights of encoder self-attention (`encoder`, src ×
 * src), decoder self-attention (`decoder`, tgt × tgt) or cross-attention (`cross`, tgt × src).
 */
export function kindAttentionProbsName(kind: AttentionKind, layer: number): string {
  return `${kind}.attention_probs.${layer}`;
}

/** float [batch, heads, keys, headDim]: the value vectors of an attention. */
export function kindValuesName(kind: AttentionKind, layer: number): string {
  return `${kind}.values.${layer}`;
}

/**
 * float [batch, heads, keys] graph input (option `valueZeroing`): multiplies the value vector of each
 * key of an attention, per head, so 0 zeroes it (keys: source positions for `encoder` and `cross`,
 * decoder positions for `decoder`).
 */
export function kindValueMaskName(kind: AttentionKind, layer: number): string {
  return `${kind}.value_mask.${layer}`;
}

/** float [batch, seq, ffn]: feed-forward activations after the ReLU. */
export function stackMlpName(stack: "encoder" | "decoder", layer: number): string {
  return `${stack}.mlp.${layer}`;
}

/**
 * float [batch, heads, src, headDim] output of `buildCrossKeyValueGraph` and input of
 * `buildCachedDecoderGraph`: the cross-attention keys of decoder layer `layer`, projected from
 * `encoder_hidden_states` once per source. The decoder's own cache uses the decoder-only names
 * (`past_key.{layer}`, `present_key.{layer}`, ... in `../tensor-names.ts`).
 */
export function crossKeyName(layer: number): string {
  return `cross_key.${layer}`;
}

/** float [batch, heads, src, headDim]: the cross-attention values of decoder layer `layer` (see {@link crossKeyName}). */
export function crossValueName(layer: number): string {
  return `cross_value.${layer}`;
}
