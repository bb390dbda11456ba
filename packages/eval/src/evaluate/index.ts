export { evaluateResult } from "./evaluate-result.ts";
export { checkModelMatch, sameModel } from "./model-match.ts";
export { resolveOptions, validMetricIds } from "./options.ts";
export { logRatio, meanWithError } from "./summary.ts";
export {
  DEFAULT_K,
  DEFAULT_METRICS,
  type ErasureBaseline,
  type EvaluateOptions,
  type EvaluationReport,
  type EvaluationStep,
  type SequenceEvaluation,
} from "./types.ts";
