/*
 * Bulk float16 conversion. @petamoriken/float16's DataView helpers cost about
 * 2 µs per element, which is seconds for a raw attribution tensor; this is plain
 * arithmetic on doubles with the same rounding (nearest, ties to even, straight
 * from float64, so no double rounding through float32).
 */

const TWO_POW_24 = 2 ** 24;

function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The IEEE 754 binary16 bits of `value` rounded to nearest (ties to even). */
export function float16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  // 65520 is halfway between 65504 and 2^16; ties to even round it up to Infinity.
  if (magnitude >= 65520) return sign | 0x7c00;
  // Below 2^-14 the format is fixed-point in units of 2^-24 (a carry to 1024 is the smallest normal).
  if (magnitude < 2 ** -14) return sign | roundHalfEven(magnitude * TWO_POW_24);
  let exponent = Math.floor(Math.log2(magnitude));
  if (2 ** exponent > magnitude) exponent--;
  else if (2 ** (exponent + 1) <= magnitude) exponent++;
  let mantissa = roundHalfEven((magnitude / 2 ** exponent) * 1024);
  if (mantissa === 2048) {
    mantissa = 1024;
    exponent++;
  }
  return sign | ((exponent + 15) << 10) | (mantissa - 1024);
}

/** The number whose IEEE 754 binary16 bits are `bits`. */
export function float16FromBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 31;
  const mantissa = bits & 1023;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}
