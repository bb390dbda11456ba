/**
 * Weight tensors whose values are made on first read (converted from a checkpoint's bytes), so a
 * loader that reads its file in pieces never holds the whole model: a weight file (weight-file.ts)
 * reads each matrix once, writes it, and lets it go.
 */
import type { WeightTensor } from "./types.ts";

// Makers of the tensors whose values are not made yet: per-object state, weakly held.
const pending = new WeakMap<WeightTensor, () => Float32Array>();
// Checkpoint tensors stored as 16-bit floats or int8 blocks: how, weakly held.
const halves = new WeakMap<WeightTensor, StoredHalf>();
const blocked = new WeakMap<WeightTensor, StoredBlocks>();

/** A 16-bit float element type a checkpoint may store its weights in. */
export type HalfFloatType = "float16" | "bfloat16";

/** How a checkpoint stores a tensor that `data` widens to fp32: its 16-bit type and bit patterns. */
export interface StoredHalf {
  readonly dataType: HalfFloatType;
  /** The tensor's bit patterns, row-major, read afresh on each call. */
  bits(): Uint16Array;
}

/**
 * How a quantized checkpoint (GGUF Q8_0, Q4_0) stores a matrix [rows, cols]: int8 values and one fp32
 * scale per block of `blockSize` consecutive values of a row, `x[r][c] = scales[r][c / blockSize] ·
 * values[r][c]` exactly as the checkpoint's own dequantization gives.
 */
export interface StoredBlocks {
  readonly blockSize: number;
  /** The values, row-major [rows, cols], made afresh on each call. */
  values(): Int8Array;
  /** The scales, row-major [rows, cols / blockSize], made afresh on each call. */
  scales(): Float32Array;
}

/**
 * A tensor of `dims` whose `data` is `make()` on first read, kept from then on. `make` is dropped
 * after that call, so whatever it closes over (a view into a whole file) can be freed. `stored`
 * records a checkpoint's 16-bit or int8-block storage, so a weight file can keep the tensor so.
 */
export function lazyWeightTensor(
  dims: number[],
  make: () => Float32Array,
  stored?: StoredHalf | StoredBlocks,
): WeightTensor {
  let maker: (() => Float32Array) | undefined = make;
  let data: Float32Array | undefined;
  const tensor: WeightTensor = {
    dims,
    get data() {
      if (data === undefined) {
        data = maker!();
        maker = undefined;
        pending.delete(tensor);
        // Its stored form may close over a whole file (GGUF): widened now, it is not needed.
        halves.delete(tensor);
        blocked.delete(tensor);
      }
      return data;
    },
  };
  pending.set(tensor, make);
  if (stored !== undefined && "bits" in stored) halves.set(tensor, stored);
  else if (stored !== undefined) blocked.set(tensor, stored);
  return tensor;
}

/** The 16-bit storage of a checkpoint tensor made by {@link lazyWeightTensor}; undefined for others. */
export function storedHalf(tensor: WeightTensor): StoredHalf | undefined {
  return halves.get(tensor);
}

/** The int8-block storage of a checkpoint tensor made by {@link lazyWeightTensor}; undefined for others. */
export function storedBlocks(tensor: WeightTensor): StoredBlocks | undefined {
  return blocked.get(tensor);
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
