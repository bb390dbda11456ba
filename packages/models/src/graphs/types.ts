import type { OnnxModel } from "@tokenscope/tensor-backends";
import type { DecoderConfig } from "../weights/types.ts";
import type { WeightFile } from "../weights/weight-file.ts";

/** Float type of a decoder graph's activations, inputs and outputs. */
export type DecoderDataType = "float32" | "float64";

/** Which layers to expose a tap for: `true` for all, or a list of layer indices. */
export type LayerSelection = boolean | readonly number[];

/** Internal tensors to expose as graph outputs (they exist, under the same names, either way). */
export interface DecoderTaps {
  /** `embeddings` [batch, seq, hidden]. */
  embeddings?: boolean;
  /** `attention_probs.{layer}` [batch, heads, seq, seq] (keys: past + seq with `kvCache`). */
  attentionProbs?: LayerSelection;
  /** `values.{layer}` [batch, kvHeads, seq, headDim] (past + seq with `kvCache`). */
  values?: LayerSelection;
  /** `residual.{layer}` [batch, seq, hidden]. */
  residual?: LayerSelection;
  /** `mlp.{layer}` [batch, seq, intermediate]. */
  mlp?: LayerSelection;
}

/** Options of `buildDecoderGraph`; everything is off by default. */
export interface DecoderGraphOptions {
  /** Feed token ids (`input_ids`, default) or embeddings (`inputs_embeds`). */
  input?: "ids" | "embeds";
  /** Add the `logit_positions` input and compute logits only at those positions. */
  gatherLogits?: boolean;
  /** Add one `value_mask.{layer}` input per layer (value zeroing). */
  valueZeroing?: boolean;
  /** Internal tensors to expose as outputs. */
  taps?: DecoderTaps;
  /**
   * Incremental decoding: inputs `past_key.{layer}` / `past_value.{layer}` [batch, kvHeads, past,
   * headDim] (past may be 0), outputs `present_key.{layer}` / `present_value.{layer}` [batch, kvHeads,
   * past + seq, headDim]; `attention_mask` then covers past + seq positions, `position_ids` and the
   * token inputs the new positions only.
   */
  kvCache?: boolean;
  /**
   * Start from the residual stream after layer `L` (`residual.{L}`, float [batch, seq, hidden]) as a
   * graph input instead of tokens: the embedding lookup and layers 0..L are not in the graph (no
   * `input_ids` / `inputs_embeds`), layers L+1.. run from it. Inputs nothing reads are dropped
   * (`position_ids` for GPT-2; the mask and positions too when L is the last layer), so `inputNames`
   * lists exactly what to feed. Taps of layers ≤ L, `taps.embeddings` and `kvCache` are refused.
   * Differentiate with `buildGradientGraph(model, { of: ["logits"], wrt: ["residual.L"] })`.
   */
  residualInput?: number;
  /** Activation type; float64 is for gradient checks (weights are cast in the graph). Default float32. */
  dataType?: DecoderDataType;
  /** Where the weights came from, for error messages. */
  source?: string;
  /** Place matrices in this file as external initializers (weights/weight-file.ts) instead of inline. */
  weightFile?: WeightFile;
}

/** A built decoder graph and what it takes and returns. */
export interface DecoderGraph {
  /** The ONNX model; run it with any tensor runtime, or differentiate it with `buildGradientGraph`. */
  model: OnnxModel;
  config: DecoderConfig;
  dataType: DecoderDataType;
  /** Graph input names, in order. */
  inputNames: string[];
  /** Graph output names, in order: `logits` first, then the cache's `present_*` per layer, then the taps. */
  outputNames: string[];
}
