import { absmax } from "./absmax.ts";
import { l1 } from "./l1.ts";
import { l2 } from "./l2.ts";
import { max } from "./max.ts";
import { mean } from "./mean.ts";
import { normalize } from "./normalize.ts";
import { rescale } from "./rescale.ts";
import { sentences } from "./sentences.ts";
import { spans } from "./spans.ts";
import { sparsify } from "./sparsify.ts";
import { sum } from "./sum.ts";
import type { Aggregator } from "./types.ts";
import { words } from "./words.ts";

export { type AggregationStep, aggregate } from "./aggregate.ts";
export { mapAttributionRows, rowValues } from "./attribution-rows.ts";
export {
  makeDimensionReducer,
  type NoParameters,
  reduceRawAttributions,
  type VectorReduction,
} from "./dimension-reducer.ts";
export {
  mergeTokens,
  mergeUnits,
  reduceScores,
  type ScoreReduction,
  type StepScoreReduction,
  type UnitGroups,
  type UnitReductions,
  unitMergingDescription,
  unitReductionParameters,
} from "./merge-units.ts";
export type { NormalizeParameters } from "./normalize.ts";
export type { RescaleParameters } from "./rescale.ts";
export { type SentencesParameters, sentenceBoundaries, sentenceGroups } from "./sentences.ts";
export { rangeGroups, type SpansParameters } from "./spans.ts";
export type { SparsifyParameters } from "./sparsify.ts";
export type { Aggregator } from "./types.ts";
export { defaultWordMarkers, type WordGroupOptions, type WordsParameters, wordGroups } from "./words.ts";

/**
 * The built-in aggregators by id. Exported as one map rather than as loose
 * names, so that generic names (`sum`, `max`, `normalize`) stay out of the
 * package's top level.
 */
export const aggregators = {
  l2,
  l1,
  sum,
  absmax,
  mean,
  max,
  normalize,
  rescale,
  words,
  spans,
  sentences,
  sparsify,
} as const;

/** Every built-in aggregator (registered by `registerCoreBuiltins`). */
// biome-ignore lint/suspicious/noExplicitAny: a list of definitions with different parameter types
export const builtinAggregators: Aggregator<any>[] = Object.values(aggregators);
