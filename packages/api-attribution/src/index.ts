/**
 * @packageDocumentation
 * Attribution of API-only language models (OpenAI and OpenAI-compatible servers: vLLM, llama.cpp's
 * server, Ollama, LM Studio, `tokenscope serve`): the prompt is perturbed unit by unit (tokens, words,
 * sentences; removal, a fixed replacement, the n-th nearest token in an embedding space, or
 * hierarchically) and the change of the output is measured (prob_diff, cosine, token_displacement,
 * and teacher-forced logprob). Results are core's `AttributionResult`. This entry point only exports
 * and runs in browsers; the on-disk response cache is in `./node`, the server in `./server`.
 */
export {
  attributeEndpoint,
  type EndpointAttribution,
  type EndpointAttributionOptions,
} from "./attribute/attribute-endpoint.ts";
export { modelEmbeddings, modelTokenizer } from "./attribute/model-adapters.ts";
export { type EndpointAttributionPlan, planEndpointAttribution } from "./attribute/plan.ts";
export { type CacheKeyConfig, type CacheKeySettings, cacheKey, canonicalJson } from "./cache/cache-key.ts";
export { createMemoryCache, type MemoryCache } from "./cache/memory-cache.ts";
export type { ResponseCache } from "./cache/response-cache.ts";
export { isCompletion } from "./cache/validate.ts";
export { probePrompt } from "./endpoint/capabilities.ts";
export {
  createEndpoint,
  defaultSeed,
  defaultTimeoutMs,
  defaultTopLogprobs,
  type EndpointOptions,
  type EndpointRetryEvent,
} from "./endpoint/create-endpoint.ts";
export type {
  CallOptions,
  Completion,
  CompletionRequest,
  Endpoint,
  EndpointCapabilities,
  EndpointConfig,
  EndpointMode,
  EndpointStats,
  TokenLogprob,
  TopLogprob,
} from "./endpoint/types.ts";
export type { Experiment, ExperimentLog, ExperimentRecord } from "./log/experiment-log.ts";
export { newExperimentLog } from "./log/experiment-log.ts";
export {
  experimentsTable,
  logToJson,
  logToMarkdown,
  matrixTable,
  perturbationsTable,
  tableToCsv,
  tableToMarkdown,
  unitTable,
} from "./log/render-log.ts";
export {
  cosineDistance,
  cosineSimilarity,
  type Measure,
  type MeasureId,
  type MeasureInput,
  type MeasureNeeds,
  type MeasureOptions,
  type MeasureScores,
  measureFactories,
  measureIds,
  type OutputEmbedder,
  probDiff,
  teacherForcedLogprob,
  tokenDisplacement,
} from "./measures/index.ts";
export { perturbPrompt } from "./perturbation/apply.ts";
export { fixedPerturbation } from "./perturbation/fixed.ts";
export {
  type Chunk,
  type ChunkScore,
  type HierarchicalOptions,
  type HierarchicalOutcome,
  hierarchicalSearch,
  slidingChunks,
  splitChunk,
} from "./perturbation/hierarchical.ts";
export { nearestPerturbation, rankBySimilarity } from "./perturbation/nearest.ts";
export type { EmbeddingSpace, Perturbation } from "./perturbation/types.ts";
export { type BackoffOptions, backoffDelayMs, seededRandom } from "./transport/backoff.ts";
export {
  type Budget,
  type BudgetLimits,
  type BudgetTicket,
  createBudget,
  estimateRequestTokens,
} from "./transport/budget.ts";
export { isRetryableStatus } from "./transport/classify.ts";
export {
  type ConcurrencyLimiter,
  createConcurrencyLimiter,
  defaultConcurrency,
} from "./transport/concurrency.ts";
export { defaultMaxRetries, defaultMaxRetryAfterMs } from "./transport/retry.ts";
export { parseRetryAfter, retryAfterMs } from "./transport/retry-after.ts";
export { sentenceUnits, splitUnits, tokenUnits, wordUnits } from "./units/split-units.ts";
export type { PromptUnit, UnitKind, UnitTokenizer } from "./units/types.ts";
