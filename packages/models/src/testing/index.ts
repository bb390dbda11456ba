/**
 * @packageDocumentation
 * Test helpers of @tokenscope/models: independent float64 reference forward passes (Llama, GPT-2,
 * GPT-NeoX, Qwen2/3, Gemma, OPT) and seeded random weights of every family, for checking graphs built from real model files.
 */

export {
  randomDecoderWeights,
  randomWeights,
  tinyDecoderConfig,
  tinyFamilyConfigs,
} from "./random-weights.ts";
export { referenceGemmaForward } from "./reference-gemma.ts";
export { referenceGpt2Forward } from "./reference-gpt2.ts";
export { type ReferenceLogits, referenceForward, referenceGreedy } from "./reference-llama.ts";
export { referenceNeoxForward } from "./reference-neox.ts";
export { referenceOptForward, referenceOptPositions } from "./reference-opt.ts";
export { referenceQwenForward } from "./reference-qwen.ts";
