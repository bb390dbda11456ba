/**
 * Graph-ready weights written once to a file that ONNX Runtime memory-maps (external data), so every
 * session of a model (generation with its KV cache, gradients, taps) reads one copy and the JS heap
 * keeps none: a matrix is written the first time a graph asks for it, in the layout the graph wants
 * and in the checkpoint's precision (16-bit stays 16-bit unless fp32 is asked for), and its values
 * are dropped from memory (read back from the file if another layout is asked later).
 * Storage is injected (weight-file-storage.ts writes a file in Node), so this module runs anywhere.
 */
import { TokenscopeError } from "@tokenscope/core";
import type { ExternalData } from "@tokenscope/tensor-backends";
import { bf16BitsToFloat32, f16BitsToFloat32 } from "./half-floats.ts";
import { type HalfFloatType, storedBlocks, storedHalf, weightValues } from "./lazy-tensor.ts";
import type { WeightTensor } from "./types.ts";

/** Where a weight file's bytes go: append-only, with read-back. */
export interface WeightFileStorage {
  /** Folder of the file, given to ONNX Runtime as the external-data folder. */
  readonly folder: string;
  /** File name inside `folder`, the `location` of every tensor in it. */
  readonly location: string;
  /** Appends `bytes` and returns the offset they start at. */
  append(bytes: Uint8Array): number;
  /** Reads `length` bytes at `offset` back, from `location` (default: the file appended to). */
  read(offset: number, length: number, location?: string): Uint8Array;
  /** Deletes the file; later calls do nothing. */
  remove(): Promise<void>;
  /**
   * Matrices an earlier run left in a cache file of this folder, by `${layout}:${name}`: the
   * weight file uses them as they are and writes only what they lack.
   */
  readonly cached?: ReadonlyMap<string, PlacedWeight>;
  /** Keeps what this run wrote as the cache for later runs (called once, before `remove`). */
  publish?(placed: ReadonlyMap<string, PlacedWeight>): void;
}

/** A matrix as it is stored ([out, in] for a Hugging Face linear), or transposed for `MatMul(x, w)`. */
export type WeightLayout = "stored" | "transposed";

/** Element type of a matrix in the file: fp32, the checkpoint's own 16-bit type, or int8 blocks. */
export type FiledType = "float32" | HalfFloatType | "int8";

/**
 * Where a matrix lies in the file, and in which element type. An int8 matrix has one fp32 scale per
 * `blockSize` values along `blockAxis` (1: along a row, as stored; 0: down a column, transposed),
 * in `scales` ([rows, cols / blockSize] or [rows / blockSize, cols]): `DequantizeLinear` with
 * `block_size` gives its values.
 */
export type PlacedWeight = ExternalData &
  (
    | { readonly dataType: "float32" | HalfFloatType }
    | {
        readonly dataType: "int8";
        readonly scales: ExternalData;
        readonly blockSize: number;
        readonly blockAxis: 0 | 1;
      }
  );

/**
 * Which precision matrices are filed in: `"stored"` keeps a checkpoint's float16 / bfloat16
 * matrices in 16 bits and GGUF Q8_0 / Q4_0 ones as int8 blocks with fp32 scales (graphs widen them
 * to fp32 where they are used, so products still accumulate in fp32), `"float32"` widens
 * everything at load.
 */
export type WeightPrecision = "stored" | "float32";

/** The weights of one model placed in a {@link WeightFileStorage}. */
export interface WeightFile {
  /** Folder ONNX Runtime reads the file from (`SessionOptions.externalDataFolder`). */
  readonly folder: string;
  /**
   * Where `name` lies in `layout` and in which element type, written on first request; undefined
   * for tensors kept inline (not a matrix, or smaller than the file's threshold).
   */
  place(name: string, layout: WeightLayout): PlacedWeight | undefined;
  /**
   * Row `row` of matrix `name` in its stored layout, widened to fp32, read from the file (placing the matrix first if
   * no graph has yet); undefined for a matrix kept inline.
   */
  row(name: string, row: number): Float32Array | undefined;
  /** True when `name`'s values were dropped from memory and live in the file only. */
  isFiled(name: string): boolean;
  /** Bytes written so far. */
  bytes(): number;
  /**
   * Deletes the file (after the sessions that map it are released); a storage that caches keeps
   * what was written for later runs instead (see {@link WeightFileStorage.publish}).
   */
  remove(): Promise<void>;
}

/** Options of {@link createWeightFile}. */
export interface WeightFileOptions {
  /** Tensors whose values JS reads after the graphs are built (the token embedding table): kept in memory. */
  keep?: readonly string[];
  /** Matrices below this many bytes of fp32 stay inline in the graphs (default 64 KiB). */
  minBytes?: number;
  /** Precision of the filed matrices (default `"stored"`). */
  precision?: WeightPrecision;
}

/** Options of {@link createWeightFile}. */
export interface WeightFileOptions {
  /** Tensors whose values JS reads after the graphs are built (the token embedding table): kept in memory. */
  keep?: readonly string[];
  /** Matrices below this many bytes of fp32 stay inline in the graphs (default 64 KiB). */
  minBytes?: number;
  /** Precision of the filed matrices (default `"stored"`). */
  precision?: WeightPrecision;
}

const EMPTY = new Float32Array(0);
/** Tensor starts are aligned to this many bytes, for the mapped views ONNX Runtime makes. */
const ALIGNMENT = 64;

type Matrix = Float32Array | Uint16Array | Int8Array;

function transpose<T extends Matrix>(data: T, rows: number, cols: number): T {
  const out = new (data.constructor as new (length: number) => T)(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  }
  return out;
}

/**
 * A matrix's elements as they are filed, in one layout: fp32 values, 16-bit patterns of
 * `dataType`, or int8 values with their block scales (laid out as the values are).
 */
type Elements =
  | { dataType: "float32"; data: Float32Array }
  | { dataType: HalfFloatType; data: Uint16Array }
  | { dataType: "int8"; data: Int8Array; scales: Float32Array; blockSize: number; blockAxis: 0 | 1 };

const BYTES: Readonly<Record<FiledType, number>> = { float32: 4, float16: 2, bfloat16: 2, int8: 1 };

/** A typed view of `bytes` (copied when misaligned for the type). */
function view<T extends Matrix>(
  bytes: Uint8Array,
  type: new (b: ArrayBufferLike, o: number, n: number) => T,
  width: number,
): T {
  const aligned = bytes.byteOffset % width === 0 ? bytes : bytes.slice();
  return new type(aligned.buffer, aligned.byteOffset, aligned.byteLength / width);
}

/** `elements` ([rows, cols] in their layout) transposed, scales with them. */
function transposed(elements: Elements, rows: number, cols: number): Elements {
  if (elements.dataType !== "int8")
    return { ...elements, data: transpose(elements.data, rows, cols) } as Elements;
  const { blockSize, blockAxis } = elements;
  // Scales follow the blocks: [rows, cols / b] along rows (axis 1), [rows / b, cols] down columns.
  return {
    ...elements,
    data: transpose(elements.data, rows, cols),
    scales:
      blockAxis === 1
        ? transpose(elements.scales, rows, cols / blockSize)
        : transpose(elements.scales, rows / blockSize, cols),
    blockAxis: blockAxis === 1 ? 0 : 1,
  };
}

/** Widens a row of `elements` (one row of the stored layout, scales included) to fp32. */
function toFloat32(elements: Elements): Float32Array {
  switch (elements.dataType) {
    case "float32":
      return elements.data;
    case "float16":
      return f16BitsToFloat32(elements.data);
    case "bfloat16":
      return bf16BitsToFloat32(elements.data);
    case "int8": {
      const { data, scales, blockSize } = elements;
      return Float32Array.from(data, (value, i) => value * scales[Math.floor(i / blockSize)]!);
    }
  }
}

/**
 * Places the 2-D tensors of `tensors` in `storage` as graphs ask for them. `tensors` is the model's
 * own map: entries of filed tensors are replaced by ones with empty `data` (see {@link WeightFile.isFiled}).
 */
export function createWeightFile(
  tensors: Map<string, WeightTensor>,
  storage: WeightFileStorage,
  options: WeightFileOptions = {},
): WeightFile {
  const keep = new Set(options.keep ?? []);
  const minBytes = options.minBytes ?? 64 * 1024;
  const precision = options.precision ?? "stored";
  const placed = new Map<string, PlacedWeight>();
  const filed = new Set<string>();
  let written = 0;

  const key = (name: string, layout: WeightLayout) => `${layout}:${name}`;
  // A cache's matrices are filed already: their values are never made.
  for (const [placement, at] of storage.cached ?? []) {
    const name = placement.slice(placement.indexOf(":") + 1);
    const tensor = tensors.get(name);
    if (tensor === undefined || tensor.dims.length !== 2) continue;
    placed.set(placement, at);
    if (!keep.has(name) && !filed.has(name)) {
      filed.add(name);
      tensors.set(name, { dims: tensor.dims, data: EMPTY });
    }
  }

  /** Elements as the file holds them at `at`. */
  function readElements(at: PlacedWeight): Elements {
    const bytes = storage.read(at.offset, at.length, at.location);
    if (at.dataType === "float32") return { dataType: "float32", data: view(bytes, Float32Array, 4) };
    if (at.dataType !== "int8") return { dataType: at.dataType, data: view(bytes, Uint16Array, 2) };
    const scales = view(
      storage.read(at.scales.offset, at.scales.length, at.scales.location),
      Float32Array,
      4,
    );
    return {
      dataType: "int8",
      data: view(bytes, Int8Array, 1),
      scales,
      blockSize: at.blockSize,
      blockAxis: at.blockAxis,
    };
  }

  /** The elements of `name` in its stored layout and filed type, from memory or read back from the file. */
  function elements(name: string, tensor: WeightTensor): Elements {
    if (!filed.has(name)) {
      const half = precision === "stored" ? storedHalf(tensor) : undefined;
      if (half) return { dataType: half.dataType, data: half.bits() };
      const blocks = precision === "stored" ? storedBlocks(tensor) : undefined;
      if (blocks) {
        const { blockSize } = blocks;
        return { dataType: "int8", data: blocks.values(), scales: blocks.scales(), blockSize, blockAxis: 1 };
      }
      return { dataType: "float32", data: weightValues(tensor) };
    }
    const [rows, cols] = tensor.dims as [number, number];
    for (const layout of ["stored", "transposed"] as const) {
      const at = placed.get(key(name, layout));
      if (at === undefined) continue;
      const read = readElements(at);
      return layout === "stored" ? read : transposed(read, cols, rows);
    }
    throw new TokenscopeError("IO_ERROR", `The weight file holds no copy of tensor ${name}.`, {
      hint: "This is a bug in tokenscope: please report it.",
      details: { name },
    });
  }

  function append(data: Matrix): ExternalData {
    const padding = (ALIGNMENT - (written % ALIGNMENT)) % ALIGNMENT;
    if (padding > 0) storage.append(new Uint8Array(padding));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const offset = storage.append(bytes);
    written = offset + bytes.byteLength;
    return { location: storage.location, offset, length: bytes.byteLength };
  }

  function write(elements: Elements): PlacedWeight {
    const at = append(elements.data);
    if (elements.dataType !== "int8") return { ...at, dataType: elements.dataType };
    const scales = append(elements.scales);
    const { blockSize, blockAxis } = elements;
    return { ...at, dataType: "int8", scales, blockSize, blockAxis };
  }

  const file: WeightFile = {
    folder: storage.folder,
    place(name, layout) {
      const known = placed.get(key(name, layout));
      if (known !== undefined) return known;
      const tensor = tensors.get(name);
      if (tensor === undefined || tensor.dims.length !== 2) return undefined;
      const [rows, cols] = tensor.dims as [number, number];
      if (rows * cols * 4 < minBytes) return undefined;
      const stored = elements(name, tensor);
      const at = write(layout === "stored" ? stored : transposed(stored, rows, cols));
      placed.set(key(name, layout), at);
      if (!keep.has(name) && !filed.has(name)) {
        filed.add(name);
        tensors.set(name, { dims: tensor.dims, data: EMPTY });
      }
      return at;
    },
    row(name, row) {
      const at = file.place(name, "stored");
      if (at === undefined) return undefined;
      const cols = tensors.get(name)!.dims[1]!;
      const width = BYTES[at.dataType];
      const bytes = storage.read(at.offset + row * cols * width, cols * width, at.location);
      if (at.dataType === "float32") return view(bytes, Float32Array, 4);
      if (at.dataType !== "int8")
        return toFloat32({ dataType: at.dataType, data: view(bytes, Uint16Array, 2) });
      const perRow = cols / at.blockSize;
      const scales = view(
        storage.read(at.scales.offset + row * perRow * 4, perRow * 4, at.scales.location),
        Float32Array,
        4,
      );
      const values = view(bytes, Int8Array, 1);
      return toFloat32({ dataType: "int8", data: values, scales, blockSize: at.blockSize, blockAxis: 1 });
    },
    isFiled: (name) => filed.has(name),
    bytes: () => written,
    async remove() {
      storage.publish?.(placed);
      await storage.remove();
    },
  };
  return file;
}
