/**
 * @packageDocumentation
 * tokenscope models: model files in (llama2.c, safetensors, GGUF), weights in memory under Hugging
 * Face Llama names, SentencePiece-style tokenizers with character offsets. This entry point only
 * exports, and imports nothing from `node:` so that it also runs in browsers.
 */

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
export { ggufLlamaTokenizer, ggufLlamaVocabulary, ggufTokenType } from "./tokenizers/gguf-llama.ts";
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
  EMBED_TOKENS,
  expectedTensorDims,
  FINAL_NORM,
  type LayerWeightName,
  LM_HEAD,
  layerTensorName,
  layerWeightNames,
} from "./weights/names.ts";
export { withRopeStyle } from "./weights/rope-permute.ts";
export type { DecoderConfig, DecoderWeights, RopeStyle, WeightTensor } from "./weights/types.ts";
export { validateDecoderConfig, validateDecoderWeights } from "./weights/validate.ts";
