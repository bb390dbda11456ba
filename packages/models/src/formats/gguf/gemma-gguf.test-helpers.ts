import type { ScoreBpeVocabulary } from "../../tokenizers/score-bpe.ts";
import { LM_HEAD } from "../../weights/names.ts";
import type { DecoderWeights } from "../../weights/types.ts";
import { ggufLayerNamesOf, ggufNameOfHfTensor } from "./llama.ts";
import { ggufLlamaTokenizerMetadata } from "./llama-write.ts";
import { type GgmlWritableType, QK } from "./quantization.ts";
import { type GgufMetadataEntry, type GgufWriteInput, ggufValue, writeGguf } from "./write.ts";

/*
 * Writes Gemma, Gemma 2 and Gemma 3 (text) weights as llama.cpp's convert_hf_to_gguf.py (GemmaModel,
 * Gemma2Model, Gemma3Model) does: `gemma.*` / `gemma2.*` metadata (no rope.freq_base, rope.dimension_count nor
 * query_pre_attn_scalar: the converter writes none), every `*norm.weight` stored as 1 + w, llama.cpp
 * tensor names (Gemma 2's four norms per block), Q and K rows as stored (llama.cpp runs NEOX
 * rotary), no output.weight (lm_head is skipped: the output is the token table), and a
 * SentencePiece tokenizer with `add_space_prefix` false. Tests only: tokenscope writes no Gemma GGUF.
 */

/** Options of {@link writeGemmaGguf}. */
export interface GemmaGgufOptions {
  /** Type of the weight matrices (default F32); norms stay F32, as llama.cpp keeps them. */
  type?: GgmlWritableType;
  /**
   * `tokenizer.ggml.add_space_prefix`; default false, as the Gemma converters write it. A vocabulary
   * whose Hugging Face tokenizer prepends "▁" (the random test tokenizer) needs true to match it.
   */
  addSpacePrefix?: boolean;
  /** Write the norms as Hugging Face stores them (no 1 + w): the negative control. */
  skipNormOffset?: boolean;
  /** Leave these llama.cpp tensors out (hostile files). */
  omit?: readonly string[];
  /** Metadata to set over the written entries (hostile files). */
  metadata?: Record<string, GgufMetadataEntry>;
}

/**
 * A score-BPE vocabulary equivalent to a SentencePiece-layout byte-fallback BPE tokenizer.json
 * (the random test tokenizer): each merge result scores minus its merge rank, so the earliest merge
 * goes first, as in the merge list; other pieces score 0. Specials are the added tokens.
 */
export function scoreVocabularyOfTokenizerJson(
  tokenizerJson: Record<string, unknown>,
  bosId: number | undefined,
  eosId: number | undefined,
): ScoreBpeVocabulary {
  const model = tokenizerJson["model"] as { vocab: Record<string, number>; merges: (string | string[])[] };
  const added = tokenizerJson["added_tokens"] as { id: number; content: string }[];
  const size = Math.max(...Object.values(model.vocab), ...added.map((token) => token.id)) + 1;
  const pieces = new Array<string>(size).fill("");
  for (const [piece, id] of Object.entries(model.vocab)) pieces[id] = piece.replaceAll("\u2581", " ");
  const scores = new Float32Array(size);
  const ids = new Map(Object.entries(model.vocab));
  model.merges.forEach((merge, rank) => {
    const [left, right] = typeof merge === "string" ? merge.split(" ") : merge;
    const id = ids.get(`${left}${right}`);
    if (id !== undefined && scores[id] === 0) scores[id] = -(rank + 1);
  });
  const byteTokenIds = Array.from({ length: 256 }, (_, byte) => {
    const piece = `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
    return ids.get(piece) ?? -1;
  });
  const vocabulary: ScoreBpeVocabulary = {
    pieces,
    scores,
    byteTokenIds,
    specialIds: new Set(added.map((token) => token.id)),
    unknownId: ids.get("<unk>") ?? 0,
  };
  if (bosId !== undefined) vocabulary.bosId = bosId;
  if (eosId !== undefined) vocabulary.eosId = eosId;
  return vocabulary;
}

/** The GGUF description of Gemma or Gemma 2 weights and tokenizer; see the file comment. */
export function gemmaGgufInput(
  weights: DecoderWeights,
  vocabulary: ScoreBpeVocabulary,
  options: GemmaGgufOptions = {},
): GgufWriteInput {
  const c = weights.config;
  // Gemma 3's text model (model_type gemma3_text) is GGUF architecture "gemma3" (Gemma3Model).
  const arch = c.architecture === "gemma3_text" ? "gemma3" : c.architecture;
  const gemma2 =
    arch === "gemma2"
      ? {
          [`${arch}.attn_logit_softcapping`]: ggufValue.float32(c.attentionLogitSoftcap ?? 50),
          [`${arch}.final_logit_softcapping`]: ggufValue.float32(c.finalLogitSoftcap ?? 30),
          [`${arch}.attention.sliding_window`]: ggufValue.uint32(c.slidingWindow ?? 4096),
        }
      : {};
  // Gemma3Model writes the window, the global rotary base and a linear scaling of it when there is one.
  const scaling = c.ropeScaling?.type === "linear" ? c.ropeScaling.factor : undefined;
  const gemma3 =
    arch === "gemma3"
      ? {
          [`${arch}.attention.sliding_window`]: ggufValue.uint32(c.slidingWindow ?? 4096),
          [`${arch}.rope.freq_base`]: ggufValue.float32(c.ropeTheta),
          ...(scaling === undefined
            ? {}
            : {
                [`${arch}.rope.scaling.type`]: ggufValue.string("linear"),
                [`${arch}.rope.scaling.factor`]: ggufValue.float32(scaling),
              }),
        }
      : {};
  const metadata: Record<string, GgufMetadataEntry> = {
    "general.architecture": ggufValue.string(arch),
    "general.name": ggufValue.string(`random ${arch}`),
    [`${arch}.context_length`]: ggufValue.uint32(c.contextLength),
    [`${arch}.embedding_length`]: ggufValue.uint32(c.hiddenSize),
    [`${arch}.block_count`]: ggufValue.uint32(c.numLayers),
    [`${arch}.feed_forward_length`]: ggufValue.uint32(c.intermediateSize),
    [`${arch}.attention.head_count`]: ggufValue.uint32(c.numHeads),
    [`${arch}.attention.head_count_kv`]: ggufValue.uint32(c.numKeyValueHeads),
    [`${arch}.attention.layer_norm_rms_epsilon`]: ggufValue.float32(c.rmsNormEps),
    [`${arch}.attention.key_length`]: ggufValue.uint32(c.headDim),
    [`${arch}.attention.value_length`]: ggufValue.uint32(c.headDim),
    ...gemma2,
    ...gemma3,
    ...ggufLlamaTokenizerMetadata({ ...vocabulary, addDummyPrefix: options.addSpacePrefix ?? false }),
    ...options.metadata,
  };
  const type = options.type ?? "F32";
  const omit = new Set(options.omit ?? []);
  const layerNames = ggufLayerNamesOf(arch);
  const tensors = [...weights.tensors]
    .filter(([name]) => name !== LM_HEAD)
    .map(([name, tensor]) => {
      const quantizable = !type.startsWith("Q") || (tensor.dims.at(-1) ?? 0) % QK === 0;
      // GemmaModel.modify_tensors: `if name.endswith("norm.weight"): data_torch = data_torch + 1`.
      const shifted = name.endsWith("norm.weight") && !options.skipNormOffset;
      return {
        name: ggufNameOfHfTensor(name, layerNames)!,
        dims: tensor.dims,
        data: shifted ? tensor.data.map((value) => value + 1) : tensor.data,
        type: tensor.dims.length === 2 && quantizable ? type : ("F32" as const),
      };
    })
    .filter((tensor) => !omit.has(tensor.name));
  return { metadata, tensors };
}

/** Writes Gemma or Gemma 2 weights and tokenizer as a GGUF file; see {@link gemmaGgufInput}. */
export function writeGemmaGguf(
  weights: DecoderWeights,
  vocabulary: ScoreBpeVocabulary,
  options: GemmaGgufOptions = {},
): Uint8Array {
  return writeGguf(gemmaGgufInput(weights, vocabulary, options));
}
