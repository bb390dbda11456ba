/**
 * @packageDocumentation
 * Test helpers for method authors: a tiny causal toy model with exact
 * gradients, and the conformance suite every method must pass.
 */

export { seededNormal, seededUniform } from "../random/seeded-random.ts";
export {
  type ConformanceCheck,
  type ConformanceOptions,
  checkMethodConformance,
} from "./conformance.ts";
export { makeResult, makeSequence } from "./fixtures.ts";
export { boundsRefusedBeforeWork, INDEX_PARAMETERS, unboundedParameters } from "./parameter-bounds.ts";
export { createToyModel, type ToyModelOptions } from "./toy-model.ts";
export { createUntouchableModel } from "./untouchable-model.ts";
