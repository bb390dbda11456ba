import { TokenscopeError } from "@tokenscope/core";
import {
  bf16BitsToFloat32,
  f16BitsToFloat32,
  f16BitsToNumber,
  numbersToF16Bits,
} from "../../weights/half-floats.ts";
import type { StoredBlocks, StoredHalf } from "../../weights/lazy-tensor.ts";
import { copyFloat32LE, copyUint16LE, viewOf } from "../binary.ts";
import { ggmlTypeIds } from "./ggml-types.ts";
import {
  type KQuantLayout,
  type KQuantType,
  kQuantLayouts,
  QK_K,
  type SuperBlockDecoder,
} from "./k-quants.ts";

/** The GGML tensor types tokenscope reads; all are dequantized to fp32 at load. */
export type GgmlReadableType = "F32" | "F16" | "BF16" | "Q8_0" | "Q4_0" | KQuantType;

/** The GGML tensor types {@link quantize} (and so the GGUF writer) produces. */
export type GgmlWritableType = "F32" | "F16" | "Q8_0" | "Q4_0";

/** Values per quantization block (Q8_0 and Q4_0). */
export const QK = 32;

interface TypeLayout {
  id: number;
  /** Values per block (1 for plain floats, 32 for Q8_0 and Q4_0, 256 for the K-quants). */
  blockValues: number;
  blockBytes: number;
  /** Decodes one block; plain floats have none (they are copied in bulk). */
  decode?: SuperBlockDecoder;
}

// x = d * q: fp16 scale d, then 32 int8.
const decodeQ8_0: SuperBlockDecoder = (bytes, view, at, out, outAt) => {
  const d = f16BitsToNumber(view.getUint16(at, true));
  for (let j = 0; j < QK; j++) out[outAt + j] = d * ((bytes[at + 2 + j]! << 24) >> 24);
};

// x = d * (q - 8): fp16 scale d, then 16 bytes of 4-bit q (low nibbles: values 0..15, high: 16..31).
const decodeQ4_0: SuperBlockDecoder = (bytes, view, at, out, outAt) => {
  const d = f16BitsToNumber(view.getUint16(at, true));
  for (let j = 0; j < QK / 2; j++) {
    const packed = bytes[at + 2 + j]!;
    out[outAt + j] = d * ((packed & 0x0f) - 8);
    out[outAt + j + QK / 2] = d * ((packed >> 4) - 8);
  }
};

const kQuantLayout = (type: KQuantType): TypeLayout => ({
  id: ggmlTypeIds[type],
  blockValues: QK_K,
  ...kQuantLayouts[type],
});

const layouts: Record<GgmlReadableType, TypeLayout> = {
  F32: { id: ggmlTypeIds.F32, blockValues: 1, blockBytes: 4 },
  F16: { id: ggmlTypeIds.F16, blockValues: 1, blockBytes: 2 },
  BF16: { id: ggmlTypeIds.BF16, blockValues: 1, blockBytes: 2 },
  Q8_0: { id: ggmlTypeIds.Q8_0, blockValues: QK, blockBytes: 2 + QK, decode: decodeQ8_0 },
  Q4_0: { id: ggmlTypeIds.Q4_0, blockValues: QK, blockBytes: 2 + QK / 2, decode: decodeQ4_0 },
  Q2_K: kQuantLayout("Q2_K"),
  Q3_K: kQuantLayout("Q3_K"),
  Q4_K: kQuantLayout("Q4_K"),
  Q5_K: kQuantLayout("Q5_K"),
  Q6_K: kQuantLayout("Q6_K"),
  Q8_K: kQuantLayout("Q8_K"),
};

/** Every GGML type tokenscope reads, in the order above. */
export const ggmlReadableTypes = Object.keys(layouts) as readonly GgmlReadableType[];

/** The GGML type id of a type name. */
export function ggmlTypeId(type: GgmlReadableType): number {
  return layouts[type].id;
}

/** The readable type of a GGML type id, or undefined for types tokenscope cannot dequantize. */
export function ggmlTypeName(id: number): GgmlReadableType | undefined {
  return ggmlReadableTypes.find((type) => layouts[type].id === id);
}

/**
 * Values per block of `type`: 1 for F32, F16 and BF16, 32 for Q8_0 and Q4_0, 256 for the K-quants.
 * GGML stores each row as whole blocks, so a tensor's innermost dimension must be a multiple of it.
 */
export function ggmlBlockValues(type: GgmlReadableType): number {
  return layouts[type].blockValues;
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

/**
 * Dequantizes `count` values of `type` from `bytes`, which must hold their blocks; the K-quants
 * give exactly the float32 values of llama.cpp's `dequantize_row_q*_K` (see k-quants.ts).
 * @throws TokenscopeError INVALID_INPUT when `count` is not whole blocks or `bytes` is too short.
 */
export function dequantize(type: GgmlReadableType, bytes: Uint8Array, count: number): Float32Array {
  const byteLength = ggmlByteLength(type, count);
  if (bytes.byteLength < byteLength) {
    // A short buffer would read as undefined, i.e. NaN weights, rather than fail.
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${count} values of ${type} take ${byteLength} bytes; only ${bytes.byteLength} were given.`,
      { hint: "Pass the bytes of the whole tensor." },
    );
  }
  switch (type) {
    case "F32":
      return copyFloat32LE(bytes, 0, count);
    case "F16":
      return f16BitsToFloat32(copyUint16LE(bytes, 0, count));
    case "BF16":
      return bf16BitsToFloat32(copyUint16LE(bytes, 0, count));
  }
  const { blockValues, blockBytes, decode } = layouts[type];
  const out = new Float32Array(count);
  const view = viewOf(bytes);
  for (let block = 0; block < count / blockValues; block++) {
    decode!(bytes, view, block * blockBytes, out, block * blockValues);
  }
  return out;
}

/**
 * How a weight file can keep `count` values of `type` without widening them to fp32: F16 and BF16
 * as their bit patterns; Q8_0 and Q4_0 as int8 values (Q4_0's `q - 8`) with one fp32 scale per block
 * of 32; Q3_K, Q6_K (scale per 16) and Q8_K (per 256) likewise: products exactly {@link dequantize}'s
 * values. Undefined for F32 and for Q2_K, Q4_K and Q5_K, whose blocks subtract a min as well
 * (widened at load).
 */
export function ggmlStoredForm(
  type: GgmlReadableType,
  bytes: () => Uint8Array,
  count: number,
): StoredHalf | StoredBlocks | undefined {
  if (type === "F16" || type === "BF16") {
    return {
      dataType: type === "F16" ? "float16" : "bfloat16",
      bits: () => copyUint16LE(bytes(), 0, count),
    };
  }
  if (type === "Q8_0" || type === "Q4_0") return legacyBlocks(type, bytes, count);
  if (type === "F32") return undefined;
  const steps = kQuantLayouts[type].steps;
  return steps === undefined ? undefined : kQuantBlocks(type, bytes, count, steps);
}

/** Q8_0 and Q4_0 as int8 values and one scale per 32 (see {@link ggmlStoredForm}). */
function legacyBlocks(type: "Q8_0" | "Q4_0", bytes: () => Uint8Array, count: number): StoredBlocks {
  const { blockBytes } = layouts[type];
  const blocks = count / QK;
  return {
    blockSize: QK,
    values() {
      const source = bytes();
      const out = new Int8Array(count);
      for (let block = 0; block < blocks; block++) {
        const at = block * blockBytes + 2;
        const outAt = block * QK;
        if (type === "Q8_0") {
          out.set(new Int8Array(source.buffer, source.byteOffset + at, QK), outAt);
          continue;
        }
        for (let j = 0; j < QK / 2; j++) {
          const packed = source[at + j]!;
          out[outAt + j] = (packed & 0x0f) - 8;
          out[outAt + j + QK / 2] = (packed >> 4) - 8;
        }
      }
      return out;
    },
    scales() {
      const view = viewOf(bytes());
      return Float32Array.from({ length: blocks }, (_, block) =>
        f16BitsToNumber(view.getUint16(block * blockBytes, true)),
      );
    },
  };
}

/**
 * A K-quant without mins as int8 values and one scale per sub-block: the steps read from the
 * super-blocks, the values from the dequantized ones divided by them (exact: each is `step · q`
 * with q an integer and the product exact in fp32, see k-quants.ts).
 */
function kQuantBlocks(
  type: KQuantType,
  bytes: () => Uint8Array,
  count: number,
  steps: NonNullable<KQuantLayout["steps"]>,
): StoredBlocks {
  const { blockBytes } = kQuantLayouts[type];
  const perSuper = QK_K / steps.values;
  const scales = () => {
    const source = bytes();
    const view = viewOf(source);
    const out = new Float32Array(count / steps.values);
    for (let block = 0; block < count / QK_K; block++) {
      for (let sub = 0; sub < perSuper; sub++)
        out[block * perSuper + sub] = steps.step(source, view, block * blockBytes, sub);
    }
    return out;
  };
  return {
    blockSize: steps.values,
    values() {
      const values = dequantize(type, bytes(), count);
      const factors = scales();
      return Int8Array.from(values, (value, i) => {
        const step = factors[Math.floor(i / steps.values)]!;
        return step === 0 ? 0 : Math.round(value / step);
      });
    },
    scales,
  };
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
