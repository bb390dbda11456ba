import { cosineDistance } from "./cosine.ts";
import { teacherForcedLogprob } from "./logprob.ts";
import { probDiff } from "./prob-diff.ts";
import { tokenDisplacement } from "./token-displacement.ts";
import type { Measure, MeasureOptions } from "./types.ts";

/** The measures by id, each made with the shared options. */
export const measureFactories = {
  logprob: teacherForcedLogprob,
  prob_diff: probDiff,
  cosine: () => cosineDistance(),
  token_displacement: tokenDisplacement,
} as const satisfies Record<string, (options?: MeasureOptions) => Measure>;

/** One of the measure ids. */
export type MeasureId = keyof typeof measureFactories;

/** Every measure id, in the order the CLI lists them. */
export const measureIds = Object.keys(measureFactories) as MeasureId[];

export { cosineDistance, cosineSimilarity } from "./cosine.ts";
export { teacherForcedLogprob } from "./logprob.ts";
export { probDiff } from "./prob-diff.ts";
export { tokenDisplacement } from "./token-displacement.ts";
export type {
  Measure,
  MeasureInput,
  MeasureNeeds,
  MeasureOptions,
  MeasureScores,
  OutputEmbedder,
} from "./types.ts";
