/**
 * @packageDocumentation
 * Test helpers of @tokenscope/models: an independent float64 reference forward pass and seeded random
 * weights, for checking graphs built from real model files.
 */

export { randomDecoderWeights, tinyDecoderConfig } from "./random-weights.ts";
export { type ReferenceLogits, referenceForward, referenceGreedy } from "./reference-llama.ts";
