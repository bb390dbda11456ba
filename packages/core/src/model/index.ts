export { assertCapabilities } from "./assert-capabilities.ts";
export { type Capability, capabilities, capabilityDocs } from "./capabilities.ts";
export type { ExecutionInfo } from "./execution.ts";
export type {
  AttentionStack,
  ChatMessage,
  ForwardRequest,
  ForwardResult,
  GenerationOptions,
  GenerationResult,
  GradientObjective,
  GradientRequest,
  GradientResult,
  GradientTarget,
  Intervention,
  LanguageModel,
  ModelInfo,
  ModelInputs,
  SpecialTokenIds,
  TapRequest,
  Taps,
  Tokenization,
  TokenizeOptions,
} from "./language-model.ts";
export { type DenseTensor, sizeOf, type TensorData } from "./tensor.ts";
export type { Token } from "./token.ts";
export { type UnknownToken, unknownToken } from "./unknown-token.ts";
