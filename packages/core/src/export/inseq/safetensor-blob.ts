import { float16Bits } from "../../serialization/float16-bits.ts";

/** Element types Inseq saves scores in (its `scores_precision`, less float8). */
export type InseqPrecision = "float32" | "float16";

/**
 * One tensor as a safetensors file named "attribution", the blob Inseq stores (base64) for each
 * sequence-level tensor: an 8-byte little-endian header length, the JSON header padded with spaces
 * to a multiple of 8 (as the reference writer does), then the little-endian data. NaN stays NaN.
 */
export function attributionSafetensor(
  values: Float64Array,
  shape: readonly number[],
  precision: InseqPrecision,
): Uint8Array {
  const bytesPerValue = precision === "float16" ? 2 : 4;
  const dataBytes = values.length * bytesPerValue;
  const header = JSON.stringify({
    attribution: { dtype: precision === "float16" ? "F16" : "F32", shape, data_offsets: [0, dataBytes] },
  });
  const headerBytes = new TextEncoder().encode(header);
  const paddedLength = Math.ceil(headerBytes.length / 8) * 8;
  const out = new Uint8Array(8 + paddedLength + dataBytes);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(paddedLength), true);
  out.set(headerBytes, 8);
  out.fill(0x20, 8 + headerBytes.length, 8 + paddedLength);
  const offset = 8 + paddedLength;
  values.forEach((value, index) => {
    if (precision === "float16") view.setUint16(offset + index * 2, float16Bits(value), true);
    else view.setFloat32(offset + index * 4, value, true);
  });
  return out;
}
