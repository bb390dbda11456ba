/**
 * Graph-ready weights written once to a file that ONNX Runtime memory-maps (external data), so every
 * session of a model (generation with its KV cache, gradients, taps) reads one copy and the JS heap
 * keeps none: a matrix is written the first time a graph asks for it, in the layout the graph wants,
 * and its values are dropped from memory (read back from the file if another layout is asked later).
 * Storage is injected (weight-file-storage.ts writes a file in Node), so this module runs anywhere.
 */
import { TokenscopeError } from "@tokenscope/core";
import type { ExternalData } from "@tokenscope/tensor-backends";
import { weightValues } from "./lazy-tensor.ts";
import type { WeightTensor } from "./types.ts";

/** Where a weight file's bytes go: append-only, with read-back. */
export interface WeightFileStorage {
  /** Folder of the file, given to ONNX Runtime as the external-data folder. */
  readonly folder: string;
  /** File name inside `folder`, the `location` of every tensor in it. */
  readonly location: string;
  /** Appends `bytes` and returns the offset they start at. */
  append(bytes: Uint8Array): number;
  /** Reads `length` bytes at `offset` back. */
  read(offset: number, length: number): Uint8Array;
  /** Deletes the file; later calls do nothing. */
  remove(): Promise<void>;
}

/** A matrix as it is stored ([out, in] for a Hugging Face linear), or transposed for `MatMul(x, w)`. */
export type WeightLayout = "stored" | "transposed";

/** The weights of one model placed in a {@link WeightFileStorage}. */
export interface WeightFile {
  /** Folder ONNX Runtime reads the file from (`SessionOptions.externalDataFolder`). */
  readonly folder: string;
  /**
   * Where `name` lies in `layout`, written on first request; undefined for tensors kept inline (not a
   * matrix, or smaller than the file's threshold).
   */
  place(name: string, layout: WeightLayout): ExternalData | undefined;
  /**
   * Row `row` of matrix `name` in its stored layout, read from the file (placing the matrix first if
   * no graph has yet); undefined for a matrix kept inline.
   */
  row(name: string, row: number): Float32Array | undefined;
  /** True when `name`'s values were dropped from memory and live in the file only. */
  isFiled(name: string): boolean;
  /** Bytes written so far. */
  bytes(): number;
  /** Deletes the file (after the sessions that map it are released). */
  remove(): Promise<void>;
}

/** Options of {@link createWeightFile}. */
export interface WeightFileOptions {
  /** Tensors whose values JS reads after the graphs are built (the token embedding table): kept in memory. */
  keep?: readonly string[];
  /** Matrices below this many bytes stay inline in the graphs (default 64 KiB). */
  minBytes?: number;
}

const EMPTY = new Float32Array(0);
/** Tensor starts are aligned to this many bytes, for the mapped views ONNX Runtime makes. */
const ALIGNMENT = 64;

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  }
  return out;
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
  const placed = new Map<string, ExternalData>();
  const filed = new Set<string>();
  let written = 0;

  const key = (name: string, layout: WeightLayout) => `${layout}:${name}`;

  /** The values of `name` in its stored layout, from memory or read back from the file. */
  function values(name: string, tensor: WeightTensor): Float32Array {
    if (!filed.has(name)) return weightValues(tensor);
    const [rows, cols] = tensor.dims as [number, number];
    for (const layout of ["stored", "transposed"] as const) {
      const at = placed.get(key(name, layout));
      if (at === undefined) continue;
      const bytes = storage.read(at.offset, at.length);
      const read = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      return layout === "stored" ? read : transpose(read, cols, rows);
    }
    throw new TokenscopeError("IO_ERROR", `The weight file holds no copy of tensor ${name}.`, {
      hint: "This is a bug in tokenscope: please report it.",
      details: { name },
    });
  }

  function write(data: Float32Array): ExternalData {
    const padding = (ALIGNMENT - (written % ALIGNMENT)) % ALIGNMENT;
    if (padding > 0) storage.append(new Uint8Array(padding));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const offset = storage.append(bytes);
    written = offset + bytes.byteLength;
    return { location: storage.location, offset, length: bytes.byteLength };
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
      const stored = values(name, tensor);
      const at = write(layout === "stored" ? stored : transpose(stored, rows, cols));
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
      const bytes = storage.read(at.offset + row * cols * 4, cols * 4);
      return new Float32Array(bytes.buffer, bytes.byteOffset, cols);
    },
    isFiled: (name) => filed.has(name),
    bytes: () => written,
    remove: () => storage.remove(),
  };
  return file;
}
