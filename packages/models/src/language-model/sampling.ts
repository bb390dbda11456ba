import { TokenscopeError } from "@tokenscope/core";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { mersenne } from "pure-rand/generator/mersenne";

/** How the next token is chosen from logits. */
export interface SamplingOptions {
  /** 0 or absent: greedy (argmax). */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

/** A function choosing the next token id from one logit vector. */
export type TokenChooser = (logits: ArrayLike<number>) => number;

function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let index = 1; index < logits.length; index++) if (logits[index]! > logits[best]!) best = index;
  return best;
}

/**
 * Greedy when the temperature is 0 or absent; otherwise samples from softmax(logits / temperature)
 * restricted to the top-k and then the top-p set, reproducibly from `seed` (Mersenne Twister).
 */
export function createTokenChooser(options: SamplingOptions): TokenChooser {
  const temperature = options.temperature ?? 0;
  if (temperature < 0 || !Number.isFinite(temperature)) {
    throw new TokenscopeError("INVALID_INPUT", `temperature must be ≥ 0, got ${temperature}.`);
  }
  if (options.topP !== undefined && !(options.topP > 0 && options.topP <= 1)) {
    throw new TokenscopeError("INVALID_INPUT", `topP must be in (0, 1], got ${options.topP}.`);
  }
  if (temperature === 0) return argmax;
  const rng = mersenne(options.seed ?? 0);
  return (logits) => {
    const order = Array.from({ length: logits.length }, (_, index) => index).sort(
      (a, b) => logits[b]! - logits[a]!,
    );
    const kept = options.topK && options.topK > 0 ? order.slice(0, options.topK) : order;
    const max = logits[kept[0]!]!;
    const weights = kept.map((index) => Math.exp((logits[index]! - max) / temperature));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let cut = kept.length;
    if (options.topP !== undefined && options.topP < 1) {
      let cumulative = 0;
      for (let rank = 0; rank < kept.length; rank++) {
        cumulative += weights[rank]! / total;
        if (cumulative >= options.topP) {
          cut = rank + 1;
          break;
        }
      }
    }
    const mass = weights.slice(0, cut).reduce((sum, weight) => sum + weight, 0);
    let draw = uniformFloat64(rng) * mass;
    for (let rank = 0; rank < cut; rank++) {
      draw -= weights[rank]!;
      if (draw < 0) return kept[rank]!;
    }
    return kept[cut - 1]!;
  };
}
