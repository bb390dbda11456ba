import { getFloat16, setFloat16 } from "@petamoriken/float16";

let f16Table: Float32Array | undefined;

/**
 * Every fp16 bit pattern's value, built once: a table lookup turns millions of weights into fp32
 * far faster than decoding each one (Node 20 has no Float16Array).
 */
function f16DecodeTable(): Float32Array {
  if (!f16Table) {
    const table = new Float32Array(65536);
    const view = new DataView(new ArrayBuffer(2));
    for (let bits = 0; bits < 65536; bits++) {
      view.setUint16(0, bits, true);
      table[bits] = getFloat16(view, 0, true);
    }
    f16Table = table;
  }
  return f16Table;
}

/** The value of one IEEE fp16 bit pattern. */
export function f16BitsToNumber(bits: number): number {
  return f16DecodeTable()[bits & 0xffff]!;
}

/** Decodes IEEE fp16 bit patterns to fp32 (exact: every fp16 value is an fp32 value). */
export function f16BitsToFloat32(bits: Uint16Array): Float32Array {
  const table = f16DecodeTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

/** Encodes numbers as IEEE fp16 bit patterns, rounding to nearest even (overflow gives ±Infinity). */
export function numbersToF16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) setFloat16(view, i * 2, values[i]!, true);
  return out;
}

/** Decodes bfloat16 bit patterns to fp32: bf16 is the top half of an fp32. */
export function bf16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i]! << 16;
  return out;
}

/** Encodes numbers as bfloat16 bit patterns, rounding to nearest even and keeping NaN a NaN. */
export function numbersToBf16Bits(values: ArrayLike<number>): Uint16Array {
  const f32 = Float32Array.from(values);
  const f32Bits = new Uint32Array(f32.buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < f32Bits.length; i++) {
    const bits = f32Bits[i]!;
    if ((bits & 0x7fffffff) > 0x7f800000) {
      // Truncating a NaN can leave an all-zero mantissa, which would read back as Infinity.
      out[i] = (bits >>> 16) | 0x0040;
    } else {
      out[i] = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}
