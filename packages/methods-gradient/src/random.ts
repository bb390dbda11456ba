/**
 * A seeded generator (mulberry32) for the stochastic methods: deterministic
 * for a seed, no dependency, so batched and single runs draw the same samples.
 * Returns uniforms in [0, 1).
 */
export function uniformSampler(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller) from {@link uniformSampler}. */
export function normalSampler(seed: number): () => number {
  const uniform = uniformSampler(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** `values` plus Gaussian noise of standard deviation `stdev` per component (a copy; `values` unchanged). */
export function withNoise(values: ArrayLike<number>, stdev: number, normal: () => number): Float64Array {
  const noisy = Float64Array.from(values);
  if (stdev === 0) return noisy;
  for (let i = 0; i < noisy.length; i++) noisy[i]! += stdev * normal();
  return noisy;
}
