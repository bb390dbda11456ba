/**
 * @packageDocumentation
 * Node-only entry of @tokenscope/models: everything in the main entry plus file loaders.
 */
export * from "./formats/node-loaders.ts";
export type { DownloadProgress, DownloadProgressCallback } from "./hf/download-progress.ts";
export { type ResolvedHfModel, type ResolveHfModelOptions, resolveHfModel } from "./hf/hub.ts";
export {
  hfEncoderDecoderModelTypes,
  isHfEncoderDecoderConfig,
  loadHfEncoderDecoderFamily,
} from "./hf/load-encoder-decoder-folder.ts";
export {
  type HfModelFolder,
  loadHfConfig,
  loadHfFolder,
  loadHfSpecialTokenIds,
  loadHfWeights,
} from "./hf/load-folder.ts";
export {
  type RandomEncoderDecoderArchitecture,
  type RandomEncoderDecoderFolder,
  type RandomEncoderDecoderFolderOptions,
  randomMbartLanguageCodes,
  writeRandomEncoderDecoderFolder,
} from "./hf/write-random-encoder-decoder-folder.ts";
export {
  type RandomHfFolder,
  type RandomHfFolderOptions,
  writeRandomHfFolder,
} from "./hf/write-random-folder.ts";
export * from "./index.ts";
export {
  type DecoderSource,
  type LoadModelOptions,
  type LoadWeightsOptions,
  loadDecoderWeights,
  loadModel,
} from "./load-model.ts";
export {
  isOnnxExportFolder,
  type LoadOnnxExportOptions,
  loadOnnxExport,
  type OnnxExportDtype,
  onnxExportFiles,
} from "./onnx-export/load-onnx-export.ts";
export {
  clearWeightCache,
  defaultWeightFolder,
  WEIGHT_CACHE_FORMAT,
  weightCacheUsage,
} from "./runtime/weight-file-storage.ts";
export { type LoadHfTokenizerOptions, loadHfTokenizer } from "./tokenizers/hf-load-tokenizer.ts";
export type { WeightPrecision } from "./weights/weight-file.ts";
