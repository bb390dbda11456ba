export { type MergeResultsOptions, mergeResults } from "./merge.ts";
export { assertRawShape, assertSequenceShape } from "./sequence-shape.ts";
export {
  type AggregationRecord,
  type AttributionMatrix,
  type AttributionResult,
  type RawAttributions,
  READABLE_SCHEMA_VERSIONS,
  type RunInfo,
  SCHEMA_VERSION,
  type SequenceAttribution,
  type SequenceContrastRecord,
  type SequenceMetrics,
  type StepMetrics,
} from "./types.ts";
