import type { Completion, TokenLogprob } from "../endpoint/types.ts";

/** A token of an output with its [start, end) range in the output text. */
export interface SpannedToken {
  text: string;
  span: [number, number];
}

/** Token embeddings for `cosine`: a tokenizer with character spans and an embedding matrix. */
export interface OutputEmbedder {
  tokenize(text: string): Promise<{ id: number; span: [number, number] }[]>;
  embeddings(): Promise<{ data: Float32Array | Float64Array; rows: number; dims: number }>;
}

/** What a measure compares: the original run and one perturbed run. */
export interface MeasureInput {
  original: Completion;
  perturbed: Completion;
  /** Teacher-forced: the original output's tokens scored after the original prompt (echo). */
  originalScored?: TokenLogprob[];
  /** Teacher-forced: the original output's tokens scored after the perturbed prompt (echo). */
  perturbedScored?: TokenLogprob[];
  embedder?: OutputEmbedder;
}

/** Per-position scores of one perturbation, on the measure's own tokens of the original output. */
export interface MeasureScores {
  tokens: SpannedToken[];
  /** One score per token; null where it cannot be computed. */
  values: (number | null)[];
  /** A score for the whole output when the measure has one of its own (cosine's sentence similarity). */
  sentence?: number | null;
}

/** What a measure needs from the endpoint and the run. */
export interface MeasureNeeds {
  /** Generate from every perturbed prompt (all but `logprob`). */
  generation: boolean;
  /** Log-probabilities of generated tokens with alternatives. */
  logprobs: boolean;
  /** Teacher-forced prompt scoring (completions with echo). */
  echo: boolean;
  /** Token embeddings (`--embeddings`). */
  embeddings: boolean;
}

/** A measure of how much a perturbation changed the output. */
export interface Measure {
  id: string;
  summary: string;
  needs: MeasureNeeds;
  score(input: MeasureInput): Promise<MeasureScores>;
}

/** Options the measures share. */
export interface MeasureOptions {
  /**
   * Look an original token up among every perturbed position, not only its own (the seed library's
   * `ignore_output_token_location`, default true): a shifted but unchanged output scores little.
   */
  locationInvariant?: boolean;
  /** Report magnitudes (default true for prob_diff and logprob, as the seed and as local occlusion). */
  abs?: boolean;
}
