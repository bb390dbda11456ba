export { type MergeResultsOptions, mergeResults } from "./merge.ts";
export { assertRawShape, assertSequenceShape } from "./sequence-shape.ts";
export {
  type AggregationRecord,
  type AttributionMatrix,
  type AttributionResult,
  type RawAttributions,
  type RunInfo,
  SCHEMA_VERSION,
  type SequenceAttribution,
} from "./types.ts";
