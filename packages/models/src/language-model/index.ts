export { createOnnxLanguageModel, type OnnxLanguageModelOptions } from "./onnx-language-model.ts";
export { createTokenChooser, type SamplingOptions, type TokenChooser } from "./sampling.ts";
export { continuationTokens, scoreBpeTextTokenizer, type TextTokenizer } from "./text-tokenizer.ts";
