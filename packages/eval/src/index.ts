/**
 * @packageDocumentation
 * Faithfulness and plausibility of attributions: ReAGent's soft sufficiency and comprehensiveness (and
 * their normalised forms) with a random baseline, comprehensiveness / sufficiency at k, deletion and
 * insertion curves with AOPC, ReAGent's sequence-level metric, plausibility against human rationales;
 * benchmarks (analogies, sequences, plausibility) and a resumable runner for dataset runs. Browser-safe;
 * the file-backed runner store is in `./node`. This entry point only exports.
 */

export * from "./benchmarks/index.ts";
export {
  type BenchmarkItemOutcome,
  type BenchmarkMethod,
  type BenchmarkOutcome,
  RANDOM_METHOD,
  type RunBenchmarkOptions,
  runBenchmark,
} from "./benchmarks/run-benchmark.ts";
export * from "./evaluate/index.ts";
export {
  type ImportanceNormalization,
  importanceOrder,
  normalizeImportance,
  randomImportance,
} from "./metrics/importance.ts";
export * from "./metrics/index.ts";
export { type NoisePurpose, type NoiseRequest, type NoiseSource, seededNoise } from "./metrics/noise.ts";
export * from "./plausibility/index.ts";
export {
  type ReportLike,
  type ReportSequence,
  type ReportTable,
  reportTableToMarkdown,
  sequenceTable,
  stepTable,
} from "./report/report-tables.ts";
export { type CsvRecord, parseCsv } from "./runner/csv.ts";
export {
  type DatasetFormat,
  type DatasetItem,
  datasetFormatOf,
  type ParseDatasetOptions,
  parseDatasetItems,
} from "./runner/dataset-items.ts";
export { canonicalJson, contentKey, hashText, runFingerprint } from "./runner/fingerprint.ts";
export { createLocalQueue, type LocalQueueOptions } from "./runner/local-queue.ts";
export { createMemoryRunStore, differingSettings } from "./runner/memory-run-store.ts";
export { formatDuration, runItems } from "./runner/run-items.ts";
export type {
  RunIdentity,
  RunItemsOptions,
  RunJob,
  RunOutcome,
  RunQueue,
  RunStore,
  RunTask,
} from "./runner/types.ts";
