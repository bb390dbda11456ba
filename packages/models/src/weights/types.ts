/**
 * How rotary embeddings pair the dimensions of a head. `"interleaved"` rotates pairs (2i, 2i+1)
 * (Meta's original layout, llama2.c, GGUF); `"half"` rotates (i, i + headDim/2) (Hugging Face's
 * `rotate_half`). The two are the same model up to a permutation of the rows of Q and K.
 */
export type RopeStyle = "interleaved" | "half";

/** Hyper-parameters of a Llama-family decoder-only transformer. */
export interface DecoderConfig {
  /** Architecture family ("llama" for Llama 2/3, Mistral, SmolLM2, TinyLlama, llama2.c, ...). */
  architecture: string;
  vocabSize: number;
  hiddenSize: number;
  /** Width of the SwiGLU feed-forward layer. */
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  /** Key/value heads; fewer than `numHeads` means grouped-query attention. */
  numKeyValueHeads: number;
  headDim: number;
  /** Longest sequence the model was trained for. */
  contextLength: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeStyle: RopeStyle;
  /** True when the output matrix is the token embedding (`lm_head.weight` is then absent). */
  tieWordEmbeddings: boolean;
  bosTokenId?: number;
  eosTokenId?: number;
}

/** One fp32 tensor, row-major; matrices are [out, in] as in Hugging Face checkpoints. */
export interface WeightTensor {
  dims: number[];
  data: Float32Array;
}

/**
 * A model's weights in memory, as every loader produces them: fp32 (half precision and quantized
 * weights are dequantized at load) under Hugging Face Llama tensor names (see `names.ts`).
 */
export interface DecoderWeights {
  config: DecoderConfig;
  tensors: Map<string, WeightTensor>;
}
