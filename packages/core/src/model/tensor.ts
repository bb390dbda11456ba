/** Element arrays a {@link DenseTensor} may hold. */
export type TensorData = Float32Array | Float64Array;

/**
 * A dense row-major tensor: the only tensor type core knows. Runtimes convert
 * to and from their own tensor types at the boundary.
 */
export interface DenseTensor<D extends TensorData = TensorData> {
  readonly data: D;
  readonly dims: readonly number[];
}

/** Number of elements a tensor of `dims` holds. */
export function sizeOf(dims: readonly number[]): number {
  let size = 1;
  for (const dim of dims) size *= dim;
  return size;
}
