import { TokenscopeError } from "@tokenscope/core";
import {
  bf16BitsToFloat32,
  f16BitsToFloat32,
  f16BitsToNumber,
  numbersToF16Bits,
} from "../../weights/half-floats.ts";
import { copyFloat32LE, copyUint16LE, viewOf } from "../binary.ts";
import { ggmlTypeIds } from "./ggml-types.ts";

/** The GGML tensor types tokenscope reads; all are dequantized to fp32 at load. */
export type GgmlReadableType = "F32" | "F16" | "BF16" | "Q8_0" | "Q4_0";

/** The GGML tensor types {@link quantize} (and so the GGUF writer) produces. */
export type GgmlWritableType = "F32" | "F16" | "Q8_0" | "Q4_0";

/** Values per quantization block (Q8_0 and Q4_0). */
export const QK = 32;

interface TypeLayout {
  id: number;
  /** Values per block (1 for plain floats). */
  blockValues: number;
  blockBytes: number;
}

const layouts: Record<GgmlReadableType, TypeLayout> = {
  F32: { id: ggmlTypeIds.F32, blockValues: 1, blockBytes: 4 },
  F16: { id: ggmlTypeIds.F16, blockValues: 1, blockBytes: 2 },
  BF16: { id: ggmlTypeIds.BF16, blockValues: 1, blockBytes: 2 },
  // fp16 scale d, then 32 int8: x = d * q.
  Q8_0: { id: ggmlTypeIds.Q8_0, blockValues: QK, blockBytes: 2 + QK },
  // fp16 scale d, then 16 bytes of 4-bit q (low nibbles: values 0..15, high nibbles: 16..31): x = d * (q - 8).
  Q4_0: { id: ggmlTypeIds.Q4_0, blockValues: QK, blockBytes: 2 + QK / 2 },
};

/** The GGML type id of a type name. */
export function ggmlTypeId(type: GgmlReadableType): number {
  return layouts[type].id;
}

/** The readable type of a GGML type id, or undefined for types tokenscope cannot dequantize. */
export function ggmlTypeName(id: number): GgmlReadableType | undefined {
  return (Object.keys(layouts) as GgmlReadableType[]).find((type) => layouts[type].id === id);
}

/** Bytes that `count` values of `type` take; throws when `count` is not a whole number of blocks. */
export function ggmlByteLength(type: GgmlReadableType, count: number): number {
  const { blockValues, blockBytes } = layouts[type];
  if (count % blockValues !== 0) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${count} values are not whole ${type} blocks of ${blockValues}.`,
      {
        hint: `Quantize only tensors whose innermost dimension is a multiple of ${blockValues}, or use F32/F16.`,
      },
    );
  }
  return (count / blockValues) * blockBytes;
}

/** Dequantizes `count` values of `type` from `bytes` (which must hold exactly their blocks). */
export function dequantize(type: GgmlReadableType, bytes: Uint8Array, count: number): Float32Array {
  switch (type) {
    case "F32":
      return copyFloat32LE(bytes, 0, count);
    case "F16":
      return f16BitsToFloat32(copyUint16LE(bytes, 0, count));
    case "BF16":
      return bf16BitsToFloat32(copyUint16LE(bytes, 0, count));
    case "Q8_0":
      return dequantizeBlocks(bytes, count, layouts.Q8_0.blockBytes, (block, scale, out, at) => {
        for (let j = 0; j < QK; j++) out[at + j] = scale * ((block[2 + j]! << 24) >> 24);
      });
    case "Q4_0":
      return dequantizeBlocks(bytes, count, layouts.Q4_0.blockBytes, (block, scale, out, at) => {
        for (let j = 0; j < QK / 2; j++) {
          const packed = block[2 + j]!;
          out[at + j] = scale * ((packed & 0x0f) - 8);
          out[at + j + QK / 2] = scale * ((packed >> 4) - 8);
        }
      });
  }
}

function dequantizeBlocks(
  bytes: Uint8Array,
  count: number,
  blockBytes: number,
  decodeBlock: (block: Uint8Array, scale: number, out: Float32Array, at: number) => void,
): Float32Array {
  const out = new Float32Array(count);
  const view = viewOf(bytes);
  for (let b = 0; b < count / QK; b++) {
    const block = bytes.subarray(b * blockBytes, (b + 1) * blockBytes);
    decodeBlock(block, f16BitsToNumber(view.getUint16(b * blockBytes, true)), out, b * QK);
  }
  return out;
}

/**
 * Encodes fp32 values as `type`, as ggml's reference quantizers do: Q8_0 scales each block by
 * max|x| / 127 and rounds; Q4_0 scales by the signed value of largest magnitude / -8.
 */
export function quantize(type: GgmlWritableType, values: Float32Array): Uint8Array {
  const byteLength = ggmlByteLength(type, values.length);
  if (type === "F32") return new Uint8Array(values.slice().buffer);
  if (type === "F16") return new Uint8Array(numbersToF16Bits(values).buffer);
  const out = new Uint8Array(byteLength);
  const view = viewOf(out);
  const blockBytes = layouts[type].blockBytes;
  for (let b = 0; b < values.length / QK; b++) {
    const block = values.subarray(b * QK, (b + 1) * QK);
    const at = b * blockBytes;
    if (type === "Q8_0") {
      const amax = block.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
      const scale = amax / 127;
      const inverse = scale ? 1 / scale : 0;
      view.setUint16(at, numbersToF16Bits([scale])[0]!, true);
      // C's roundf: halves away from zero.
      for (let j = 0; j < QK; j++) {
        const scaled = block[j]! * inverse;
        view.setInt8(at + 2 + j, Math.sign(scaled) * Math.round(Math.abs(scaled)));
      }
    } else {
      let max = 0;
      for (const v of block) if (Math.abs(v) > Math.abs(max)) max = v;
      const scale = max / -8;
      const inverse = scale ? 1 / scale : 0;
      view.setUint16(at, numbersToF16Bits([scale])[0]!, true);
      const level = (v: number) => Math.min(15, Math.trunc(v * inverse + 8.5));
      for (let j = 0; j < QK / 2; j++) out[at + 2 + j] = level(block[j]!) | (level(block[j + QK / 2]!) << 4);
    }
  }
  return out;
}
