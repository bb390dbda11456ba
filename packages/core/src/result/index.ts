export {
  type AggregationRecord,
  type AttributionMatrix,
  type AttributionResult,
  type RawAttributions,
  type RunInfo,
  SCHEMA_VERSION,
  type SequenceAttribution,
} from "./types.ts";
