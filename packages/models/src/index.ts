/**
 * @packageDocumentation
 * tokenscope models: model files in (llama2.c, safetensors, GGUF), weights in memory under Hugging
 * Face Llama names, SentencePiece-style and Hugging Face tokenizers with character offsets. This
 * entry point only exports, and reaches nothing from `node:` (checked by entry-points.test.ts and
 * browser-bundle.test.ts) so that it bundles and runs in browsers; file loaders are in `./node`.
 */

export type { FileLocation } from "./browser/fetch-file.ts";
export { fileListSource } from "./browser/file-list-source.ts";
export {
  fileByteBound,
  MODEL_FILE_MAX_BYTES,
  type ModelFileSource,
  readSourceJson,
  readSourceText,
  type SourceReadOptions,
} from "./browser/file-source.ts";
export {
  hfEncoderDecoderModelTypes,
  isHfEncoderDecoderConfig,
  loadHfEncoderDecoderFamilyFrom,
} from "./browser/hf-encoder-decoder-from-source.ts";
export {
  type HfModelFiles,
  loadHfConfigFrom,
  loadHfModelFrom,
  loadHfSpecialTokenIdsFrom,
  loadHfWeightsFrom,
} from "./browser/hf-folder-from-source.ts";
export { type LoadHfTokenizerOptions, loadHfTokenizerFrom } from "./browser/hf-tokenizer-from-source.ts";
export { type CacheStorageLike, type HubSourceOptions, hubSource } from "./browser/hub-source.ts";
export { type BrowserLoadOptions, loadModelFromSource } from "./browser/load-model-from-source.ts";
export { detectModelFormat, type ModelFormat } from "./browser/model-format.ts";
export {
  isOnnxExportListing,
  loadOnnxExportFrom,
  type OnnxExportDtype,
  onnxExportFiles,
} from "./browser/onnx-export-from-source.ts";
export { loadSafetensorsFrom } from "./browser/safetensors-from-source.ts";
export { type UrlSourceOptions, urlSource } from "./browser/url-source.ts";
export {
  characterTokens,
  decodeCharacterTokens,
} from "./encoder-decoder/character-tokenizer.ts";
export {
  createEncoderDecoderLanguageModel,
  type EncoderDecoderModelOptions,
} from "./encoder-decoder/encoder-decoder-model.ts";
export { bartFamily } from "./encoder-decoder/families/bart.ts";
export {
  type CTranslate2TransformerParts,
  ctranslate2TransformerFamily,
} from "./encoder-decoder/families/ctranslate2-transformer.ts";
export type { HfFamilyTokens } from "./encoder-decoder/families/hf-tokens.ts";
export { t5Family } from "./encoder-decoder/families/t5.ts";
export { textTokenizerSides } from "./encoder-decoder/families/text-tokenizer-sides.ts";
export type {
  EncoderDecoderDims,
  EncoderDecoderFamily,
  EncoderDecoderTokenizer,
} from "./encoder-decoder/family.ts";
export { buildSplitTransformerGraphs } from "./encoder-decoder/split-graph.ts";
export {
  CTRANSLATE2_BINARY_VERSIONS,
  type CTranslate2Dtype,
  type CTranslate2Model,
  type CTranslate2ReadOptions,
  type CTranslate2Variable,
  ctranslate2DtypeBytes,
  ctranslate2Dtypes,
  ctranslate2Variable,
  ctranslate2VariableToFloat32,
  readCTranslate2Model,
} from "./formats/ctranslate2/read-model.ts";
export {
  type CTranslate2TransformerOptions,
  ctranslate2TransformerWeights,
} from "./formats/ctranslate2/transformer-weights.ts";
export {
  CTRANSLATE2_UNKNOWN_TOKEN,
  type CTranslate2Vocabulary,
  ctranslate2TokensToIds,
  parseCTranslate2Vocabulary,
} from "./formats/ctranslate2/vocabulary.ts";
export {
  GGUF_DEFAULT_ALIGNMENT,
  type GgufMetadataValue,
  type GgufValueType,
  ggufValueTypes,
} from "./formats/gguf/format.ts";
export { type GgmlTypeName, ggmlTypeIdName, ggmlTypeIds } from "./formats/gguf/ggml-types.ts";
export {
  ggufLayerNames,
  ggufLlamaConfig,
  ggufNameOfHfTensor,
  ggufToDecoderWeights,
  hfNameOfGgufTensor,
} from "./formats/gguf/llama.ts";
export {
  ggufLlamaTokenizerMetadata,
  type LlamaGgufOptions,
  llamaGgufInput,
  writeLlamaGguf,
} from "./formats/gguf/llama-write.ts";
export {
  dequantize,
  type GgmlReadableType,
  type GgmlWritableType,
  ggmlByteLength,
  ggmlTypeId,
  ggmlTypeName,
  quantize,
} from "./formats/gguf/quantization.ts";
export {
  type GgufFile,
  type GgufReadOptions,
  type GgufTensorEntry,
  readGguf,
  readGgufTensor,
} from "./formats/gguf/read.ts";
export {
  type GgufMetadataEntry,
  type GgufWriteInput,
  type GgufWriteTensor,
  ggufValue,
  writeGguf,
} from "./formats/gguf/write.ts";
export { type Llama2cReadOptions, readLlama2cCheckpoint } from "./formats/llama2c/read-checkpoint.ts";
export { type Llama2cWriteOptions, writeLlama2cCheckpoint } from "./formats/llama2c/write-checkpoint.ts";
export {
  isSafetensorsDtype,
  type SafetensorsDtype,
  safetensorsDtypeBytes,
} from "./formats/safetensors/dtypes.ts";
export {
  readSafetensors,
  type SafetensorsFile,
  type SafetensorsReadOptions,
  type SafetensorsTensor,
  safetensorToFloat32,
} from "./formats/safetensors/read.ts";
export {
  readShardedSafetensors,
  SAFETENSORS_INDEX_FILE,
  type SafetensorsIndex,
  type ShardedReadOptions,
  type ShardedSafetensors,
  type ShardedWriteOptions,
  writeShardedSafetensors,
} from "./formats/safetensors/sharded.ts";
export { type SafetensorsWriteTensor, writeSafetensors } from "./formats/safetensors/write.ts";
export { rotaryInverseFrequencies } from "./graphs/blocks/rotary-frequencies.ts";
export { buildDecoderGraph, supportedDecoderArchitectures } from "./graphs/build-decoder-graph.ts";
export { type BartGraph, type BartWeights, buildBartGraph } from "./graphs/encoder-decoder/bart.ts";
export {
  type BartArchitecture,
  type BartConfig,
  bartConfigFromHf,
} from "./graphs/encoder-decoder/bart-config.ts";
export { buildT5Graph, type T5Graph, type T5Weights } from "./graphs/encoder-decoder/t5.ts";
export { type T5Config, t5ConfigFromHf } from "./graphs/encoder-decoder/t5-config.ts";
export { encoderDecoderTensorNames } from "./graphs/encoder-decoder/tensor-names.ts";
export { buildTransformerGraph } from "./graphs/encoder-decoder/transformer.ts";
export type {
  EncoderDecoderConfig,
  EncoderDecoderGraph,
  EncoderDecoderGraphOptions,
  EncoderDecoderWeights,
} from "./graphs/encoder-decoder/types.ts";
export { buildGemma2Graph, buildGemmaGraph } from "./graphs/gemma.ts";
export { buildGptNeoxGraph } from "./graphs/gpt-neox.ts";
export { buildGpt2Graph } from "./graphs/gpt2.ts";
export { buildLlamaGraph } from "./graphs/llama.ts";
export { buildQwen2Graph } from "./graphs/qwen2.ts";
export { buildQwen3Graph } from "./graphs/qwen3.ts";
export {
  attentionProbsName,
  decoderTensorNames,
  mlpName,
  pastKeyName,
  pastValueName,
  presentKeyName,
  presentValueName,
  residualName,
  valueMaskName,
  valuesName,
} from "./graphs/tensor-names.ts";
export type {
  DecoderDataType,
  DecoderGraph,
  DecoderGraphOptions,
  DecoderTaps,
  LayerSelection,
} from "./graphs/types.ts";
export { decoderConfigFromHf, hfSpecialTokenIds, supportedHfModelTypes } from "./hf/config.ts";
export { hfConfigJson } from "./hf/config-json.ts";
export type { DownloadProgress, DownloadProgressCallback } from "./hf/download-progress.ts";
export {
  buildHfTokenizerFiles,
  type HfTokenizerBuildOptions,
  type HfTokenizerFiles,
  type HfTokenizerStyle,
  minRandomTokenizerVocab,
  randomTokenizerSpecials,
} from "./hf/random-tokenizer.ts";
export { hfTensorsToDecoderWeights } from "./hf/weights.ts";
export { generateTokens } from "./language-model/generate.ts";
export { createRecomputeDecoder, type IncrementalDecoder } from "./language-model/incremental-decoder.ts";
export * from "./language-model/index.ts";
export { createKvCacheDecoder, type KvCacheDecoderOptions } from "./language-model/kv-cache-decoder.ts";
export { checkDifferentiable, type Differentiability } from "./onnx-export/differentiability.ts";
export {
  buildEmbedsGraph,
  type EmbeddingLookup,
  type EmbedsGraph,
  embedsGraphNames,
  findEmbeddingLookup,
} from "./onnx-export/embeds-graph.ts";
export {
  type ExportCacheLayer,
  type ExportInterface,
  readExportInterface,
} from "./onnx-export/export-interface.ts";
export {
  createOnnxExportModel,
  type ExportConfig,
  type OnnxExportModelOptions,
} from "./onnx-export/onnx-export-model.ts";
export { type GgufBpeTokenizerOptions, ggufBpeTokenizer } from "./tokenizers/gguf-bpe.ts";
export { ggufLlamaTokenizer, ggufLlamaVocabulary, ggufTokenType } from "./tokenizers/gguf-llama.ts";
export { ggufTextTokenizer } from "./tokenizers/gguf-tokenizer.ts";
export {
  createHfPretrainedTokenizer,
  type HfTokenizerFromJsonOptions,
  type HfTokenizerJson,
  hfTokenizerFromJson,
} from "./tokenizers/hf-pretrained.ts";
export {
  type HfPretrainedTokenizer,
  type HfTextTokenizerOptions,
  hfTextTokenizer,
} from "./tokenizers/hf-tokenizer.ts";
export {
  type Llama2cTokenizerOptions,
  readLlama2cTokenizer,
  readLlama2cVocabulary,
} from "./tokenizers/llama2c.ts";
export {
  createScoreBpeTokenizer,
  type ScoreBpeDecodeOptions,
  type ScoreBpeEncodeOptions,
  type ScoreBpeTokenizer,
  type ScoreBpeVocabulary,
} from "./tokenizers/score-bpe.ts";
export {
  type MarianTokenizerFiles,
  type MarianTokenizerOptions,
  marianTokenizer,
} from "./tokenizers/sentencepiece/marian-tokenizer.ts";
export {
  readSentencePieceModel,
  type SentencePieceModel,
  writeSentencePieceModel,
} from "./tokenizers/sentencepiece/model-proto.ts";
export {
  EMBED_TOKENS,
  expectedTensorDims,
  FINAL_NORM,
  type Gpt2LayerTensor,
  gpt2Names,
  type LayerWeightName,
  LM_HEAD,
  layerBiasName,
  layerTensorName,
  layerWeightNames,
  type NeoxLayerTensor,
  neoxNames,
  OPT_POSITION_OFFSET,
  type OptLayerTensor,
  optNames,
  type QkNormName,
  qkNormTensorName,
} from "./weights/names.ts";
export { withRopeStyle } from "./weights/rope-permute.ts";
export type {
  DecoderActivation,
  DecoderConfig,
  DecoderWeights,
  RopeScaling,
  RopeStyle,
  WeightTensor,
} from "./weights/types.ts";
export { validateDecoderConfig, validateDecoderWeights } from "./weights/validate.ts";
