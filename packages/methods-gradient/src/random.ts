/** `values` plus Gaussian noise of standard deviation `stdev` per component (a copy; `values` unchanged). */
export function withNoise(values: ArrayLike<number>, stdev: number, normal: () => number): Float64Array {
  const noisy = Float64Array.from(values);
  if (stdev === 0) return noisy;
  for (let i = 0; i < noisy.length; i++) noisy[i]! += stdev * normal();
  return noisy;
}
