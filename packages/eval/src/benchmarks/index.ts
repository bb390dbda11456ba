/**
 * The benchmarks as pure data work: dataset loaders over the files' text (the CLI reads the files),
 * ReAGent's item preparation, benchmark plans (what to attribute, which steps to evaluate) and the
 * comparison table.
 */
export {
  type AnalogyItem,
  type AnalogySection,
  analogyPairs,
  type GreedyCompletion,
  isCorrectCompletion,
  type KeepCorrectOptions,
  keepCorrect,
  keepSingleTokenPairs,
  type PrepareAnalogiesOptions,
  parseAnalogies,
  prepareAnalogies,
} from "./analogies.ts";
export { analogyCapitalisation, analogyTemplates } from "./analogy-templates.ts";
export { type LambadaItem, parseAnnotatedLambada } from "./lambada.ts";
export {
  analogiesPlan,
  attributeOptionsFor,
  type BenchmarkId,
  type BenchmarkPlan,
  type BenchmarkPlanItem,
  type BenchmarkTarget,
  faithfulnessBenchmarkMetrics,
  itemMetricMeans,
  plausibilityBenchmarkMetrics,
  plausibilityPlan,
  type SequencesPlanOptions,
  type StepSelection,
  selectedSteps,
  sequencesPlan,
} from "./plan.ts";
export { checkSequenceOptions, parsePromptLines, sequenceDefaults, strideSteps } from "./sequences.ts";
export { differenceWithInterval, type MeanEstimate, meanWithInterval, NORMAL_Z_95 } from "./stats.ts";
export {
  type BenchmarkMarkdownOptions,
  type BenchmarkMetricCell,
  type BenchmarkRow,
  type BenchmarkTable,
  type BenchmarkTableOptions,
  type BenchmarkTableRow,
  benchmarkRow,
  benchmarkTable,
  benchmarkTableMarkdown,
  RANDOM_PREFIX,
  type VersusRandom,
} from "./table.ts";
