/**
 * Weight tensors whose values are made on first read (converted from a checkpoint's bytes), so a
 * loader that reads its file in pieces never holds the whole model: a weight file (weight-file.ts)
 * reads each matrix once, writes it, and lets it go.
 */
import type { WeightTensor } from "./types.ts";

// Makers of the tensors whose values are not made yet: per-object state, weakly held.
const pending = new WeakMap<WeightTensor, () => Float32Array>();

/**
 * A tensor of `dims` whose `data` is `make()` on first read, kept from then on. `make` is dropped
 * after that call, so whatever it closes over (a view into a whole file) can be freed.
 */
export function lazyWeightTensor(dims: number[], make: () => Float32Array): WeightTensor {
  let maker: (() => Float32Array) | undefined = make;
  let data: Float32Array | undefined;
  const tensor: WeightTensor = {
    dims,
    get data() {
      if (data === undefined) {
        data = maker!();
        maker = undefined;
        pending.delete(tensor);
      }
      return data;
    },
  };
  pending.set(tensor, make);
  return tensor;
}

/**
 * The values of `tensor`; for a lazy one not read yet, made afresh and not kept, so a caller that
 * writes them elsewhere (a weight file) leaves nothing behind in the tensor.
 */
export function weightValues(tensor: WeightTensor): Float32Array {
  return pending.get(tensor)?.() ?? tensor.data;
}

/**
 * True for a tensor from {@link lazyWeightTensor} whose values are not made yet: its length is its
 * dims' product by construction (the reader checked its bytes), and reading it would make them.
 */
export function isPendingTensor(tensor: WeightTensor): boolean {
  return pending.has(tensor);
}
