import type { OnnxModel } from "@tokenscope/tensor-backends";
import type { WeightTensor } from "../../weights/types.ts";
import type { DecoderDataType } from "../types.ts";

/**
 * Hyper-parameters of a Transformer encoder-decoder ("Attention is all you need", as OpenNMT and
 * CTranslate2 build it): sinusoidal positions, multi-head attention, a two-layer feed-forward block,
 * LayerNorm, a separate output projection with bias.
 */
export interface EncoderDecoderConfig {
  /** Family: `"transformer"` (CTranslate2 TransformerBase / TransformerBig). */
  architecture: "transformer";
  sourceVocabSize: number;
  targetVocabSize: number;
  hiddenSize: number;
  numHeads: number;
  headDim: number;
  /** Width of the feed-forward layer. */
  ffnSize: number;
  encoderLayers: number;
  decoderLayers: number;
  activation: "relu";
  layerNormEps: number;
  /** Token embeddings are multiplied by this before positions are added (sqrt(hiddenSize)). */
  embeddingScale: number;
  /** Sinusoidal positions laid out [sin | cos], the first token at position `positionOffset`. */
  positionOffset: number;
  /** Id the decoder starts from (`<s>`). */
  decoderStartTokenId?: number;
  /** Id that ends a target (`</s>`). */
  eosTokenId?: number;
}

/** Weights of an encoder-decoder, fp32, under the format's own tensor names (CTranslate2's for `transformer`). */
export interface EncoderDecoderWeights {
  config: EncoderDecoderConfig;
  tensors: Map<string, WeightTensor>;
}

/** Options of `buildTransformerGraph`; everything is off by default. */
export interface EncoderDecoderGraphOptions {
  /**
   * Feed token ids (`input_ids` / `decoder_input_ids`, default) or token embeddings as the tables
   * hold them, before scaling (`inputs_embeds` / `decoder_inputs_embeds`).
   */
  input?: "ids" | "embeds";
  /** Internal tensors to add as outputs (names from `encoderDecoderTensorNames`), after `logits`. */
  taps?: readonly string[];
  /** Activation type; float64 is for gradient checks (weights are cast in the graph). Default float32. */
  dataType?: DecoderDataType;
  /**
   * Add the inputs `{encoder|decoder|cross}.value_mask.{layer}` [batch, heads, keys] (see
   * `kindValueMaskName`), multiplied into each attention's value vectors, for value zeroing.
   */
  valueZeroing?: boolean;
}

/** A built encoder-decoder graph and what it takes and returns. */
export interface EncoderDecoderGraph {
  model: OnnxModel;
  config: EncoderDecoderConfig;
  dataType: DecoderDataType;
  /** Graph input names, in order. */
  inputNames: string[];
  /** Graph output names, in order: `logits`, then the taps. */
  outputNames: string[];
}
