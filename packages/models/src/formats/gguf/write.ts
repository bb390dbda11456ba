import {
  type GGUFTypedMetadata,
  GGUFValueType,
  type MetadataValue,
  serializeGgufMetadata,
} from "@huggingface/gguf";
import { TokenscopeError } from "@tokenscope/core";
import { concatBytes } from "../binary.ts";
import { type GgmlWritableType, ggmlTypeId, QK, quantize } from "./quantization.ts";

/** One metadata value with its GGUF type (and element type for arrays). */
export interface GgufMetadataEntry {
  type: GGUFValueType;
  value: MetadataValue;
  subType?: GGUFValueType;
}

/** Builders for the metadata value types a model file needs. */
export const ggufValue = {
  string: (value: string): GgufMetadataEntry => ({ type: GGUFValueType.STRING, value }),
  uint32: (value: number): GgufMetadataEntry => ({ type: GGUFValueType.UINT32, value }),
  int32: (value: number): GgufMetadataEntry => ({ type: GGUFValueType.INT32, value }),
  float32: (value: number): GgufMetadataEntry => ({ type: GGUFValueType.FLOAT32, value }),
  bool: (value: boolean): GgufMetadataEntry => ({ type: GGUFValueType.BOOL, value }),
  strings: (value: string[]): GgufMetadataEntry => ({
    type: GGUFValueType.ARRAY,
    subType: GGUFValueType.STRING,
    value,
  }),
  float32s: (value: ArrayLike<number>): GgufMetadataEntry => ({
    type: GGUFValueType.ARRAY,
    subType: GGUFValueType.FLOAT32,
    value: Array.from(value),
  }),
  int32s: (value: ArrayLike<number>): GgufMetadataEntry => ({
    type: GGUFValueType.ARRAY,
    subType: GGUFValueType.INT32,
    value: Array.from(value),
  }),
};

/** A tensor to write: row-major dims (outermost first), fp32 values, and the type to store them as. */
export interface GgufWriteTensor {
  name: string;
  dims: number[];
  data: Float32Array;
  type: GgmlWritableType;
}

/** What {@link writeGguf} writes. */
export interface GgufWriteInput {
  metadata: Record<string, GgufMetadataEntry>;
  tensors: GgufWriteTensor[];
}

const DEFAULT_ALIGNMENT = 32;

/**
 * Writes a GGUF v3 file: the header and metadata (serialized by `@huggingface/gguf`), the tensor
 * directory, then each tensor's data aligned to `general.alignment` (32 by default). Tensors are
 * stored as F32, F16, Q8_0 or Q4_0; quantized ones need an innermost dimension divisible by 32.
 */
export function writeGguf(input: GgufWriteInput): Uint8Array {
  const alignmentEntry = input.metadata["general.alignment"];
  const alignment = alignmentEntry ? Number(alignmentEntry.value) : DEFAULT_ALIGNMENT;
  const typed = {
    version: { value: 3, type: GGUFValueType.UINT32 },
    tensor_count: { value: BigInt(input.tensors.length), type: GGUFValueType.UINT64 },
    kv_count: { value: BigInt(Object.keys(input.metadata).length), type: GGUFValueType.UINT64 },
    ...input.metadata,
  } as GGUFTypedMetadata;
  // Alignment 1: no padding after the metadata, since the tensor directory follows it directly.
  const head = serializeGgufMetadata(typed, { alignment: 1 });
  const encoder = new TextEncoder();
  const directory: Uint8Array[] = [];
  const data: Uint8Array[] = [];
  let dataOffset = 0;
  for (const tensor of input.tensors) {
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    if (tensor.data.length !== count) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Tensor "${tensor.name}" has ${tensor.data.length} values for dims [${tensor.dims}].`,
        { hint: "Pass as many values as the dims call for." },
      );
    }
    if (tensor.type.startsWith("Q") && (tensor.dims.at(-1) ?? 0) % QK !== 0) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Tensor "${tensor.name}" [${tensor.dims}] cannot be stored as ${tensor.type}: rows must be multiples of ${QK}.`,
        { hint: "Store this tensor as F32 or F16." },
      );
    }
    const name = encoder.encode(tensor.name);
    const entry = new Uint8Array(8 + name.byteLength + 4 + 8 * tensor.dims.length + 4 + 8);
    const view = new DataView(entry.buffer);
    view.setBigUint64(0, BigInt(name.byteLength), true);
    entry.set(name, 8);
    let at = 8 + name.byteLength;
    view.setUint32(at, tensor.dims.length, true);
    at += 4;
    // GGUF lists dims innermost first.
    for (const dim of [...tensor.dims].reverse()) {
      view.setBigUint64(at, BigInt(dim), true);
      at += 8;
    }
    view.setUint32(at, ggmlTypeId(tensor.type), true);
    view.setBigUint64(at + 4, BigInt(dataOffset), true);
    directory.push(entry);
    const bytes = quantize(tensor.type, tensor.data);
    const padded = new Uint8Array(padTo(bytes.byteLength, alignment));
    padded.set(bytes);
    data.push(padded);
    dataOffset += padded.byteLength;
  }
  const headerLength = head.byteLength + directory.reduce((sum, entry) => sum + entry.byteLength, 0);
  const padding = new Uint8Array(padTo(headerLength, alignment) - headerLength);
  return concatBytes([head, ...directory, padding, ...data]);
}

function padTo(length: number, alignment: number): number {
  return Math.ceil(length / alignment) * alignment;
}
