import { seededUniform } from "@tokenscope/core";
import type { ImportanceSource } from "./types.ts";

/** What a draw of uniform noise is for. */
export type NoisePurpose = "sufficiency-mask" | "comprehensiveness-mask" | "random-importance";

/**
 * One request for uniforms in [0, 1). Masks: `length` = positions × hidden of the step's input, element
 * (position, d) at index position·hidden + d, and an element is kept when its uniform is below its
 * keep probability (ReAGent's `torch.rand(embedding.shape) < keep_ratio`). Random importance: `length`
 * = units, turned into weights by softmax.
 */
export interface NoiseRequest {
  purpose: NoisePurpose;
  /** Whose importance the mask is drawn for (a random baseline's masks are drawn apart). */
  importance: ImportanceSource;
  /** Index of the sequence in the result. */
  sequence: number;
  /** Index of the attributed target token. */
  step: number;
  /** Mask sample (0 … samples − 1). */
  sample: number;
  length: number;
}

/**
 * Gives the uniforms of a request. Injectable (`EvaluateOptions.noise`) so that a test can feed the same
 * draws to the evaluator and to an independent reference; the default is {@link seededNoise}.
 */
export type NoiseSource = (request: NoiseRequest) => ArrayLike<number>;

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The default noise: every request gets its own stream of core's seeded uniform generator (mulberry32),
 * seeded from a hash of (seed, sequence, step, purpose, importance, sample). A draw therefore depends
 * only on what it is for, never on batching, on which other metrics run, or on the order of the work.
 */
export function seededNoise(seed: number): NoiseSource {
  return (request) => {
    const next = seededUniform(
      fnv1a(
        `${seed}|${request.sequence}|${request.step}|${request.purpose}|${request.importance}|${request.sample}`,
      ),
    );
    const uniforms = new Float64Array(request.length);
    for (let i = 0; i < uniforms.length; i++) uniforms[i] = next();
    return uniforms;
  };
}
