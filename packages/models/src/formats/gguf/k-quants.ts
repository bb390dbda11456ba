import { f16BitsToNumber } from "../../weights/half-floats.ts";

// The K-quants of llama.cpp (ggml/src/ggml-common.h for the block layouts, ggml-quants.c's
// dequantize_row_q*_K for the arithmetic): a super-block of 256 values holds 8 sub-blocks of 32
// (Q4_K, Q5_K) or 16 of 16 (Q2_K, Q3_K, Q6_K), each with a small integer scale (and min) that a
// per-super-block fp16 factor multiplies.
//
// Why the results are bit-identical to llama.cpp's float arithmetic though JavaScript computes in
// doubles: every product here is exact in float32 (an fp16 factor has 11 significant bits, a scale
// code at most 8 and a quant at most 6, so no product needs more than 25 bits and none before the
// last one more than 24), so C's float products equal the double ones; the one rounding left (the
// final product of Q6_K and Q8_K, or the subtraction of the min in Q2_K/Q4_K/Q5_K) is rounded to
// double and then, on the Float32Array store, to float, and double rounding through a format of at
// least 2·24+2 bits gives the correctly rounded float result. A fused multiply-add in the C
// compiler changes nothing either: the product it would keep unrounded is exact anyway.

/** Values per K-quant super-block (ggml's `QK_K`). */
export const QK_K = 256;

/** The K-quant types tokenscope dequantizes. */
export type KQuantType = "Q2_K" | "Q3_K" | "Q4_K" | "Q5_K" | "Q6_K" | "Q8_K";

/**
 * Decodes the super-block at byte `at` of `bytes` (`view` over the same bytes) into the
 * {@link QK_K} values of `out` from `outAt`.
 */
export type SuperBlockDecoder = (
  bytes: Uint8Array,
  view: DataView,
  at: number,
  out: Float32Array,
  outAt: number,
) => void;

/** Bytes of one super-block and how to decode it. */
export interface KQuantLayout {
  blockBytes: number;
  decode: SuperBlockDecoder;
  /**
   * The K-quants without mins (Q3_K, Q6_K, Q8_K): every value is `step · q` for an integer q in
   * int8's range, one step per sub-block of `values`. Absent for the types with mins.
   */
  steps?: { values: number; step: (bytes: Uint8Array, view: DataView, at: number, sub: number) => number };
}

function f16At(view: DataView, at: number): number {
  return f16BitsToNumber(view.getUint16(at, true));
}

/** A signed byte: scales of Q6_K and quants of Q8_K are int8. */
function int8(byte: number): number {
  return (byte << 24) >> 24;
}

/**
 * The 6-bit scale of sub-block `j` (0..7) in the 12-byte `scales` field of Q4_K/Q5_K at `base`
 * (llama.cpp's get_scale_min_k4): bytes 0..3 hold scales 0..3 in their low 6 bits, bytes 4..7 the
 * mins 0..3; the scales and mins 4..7 do not fit, so their low 4 bits share bytes 8..11 (scale low,
 * min high) and their top 2 bits fill the spare top bits of bytes 0..3 (scales) and 4..7 (mins).
 */
function packedScale(bytes: Uint8Array, base: number, j: number): number {
  return j < 4 ? bytes[base + j]! & 63 : (bytes[base + j + 4]! & 0x0f) | ((bytes[base + j - 4]! >> 6) << 4);
}

/** The 6-bit min of sub-block `j` of a Q4_K/Q5_K `scales` field; see {@link packedScale}. */
function packedMin(bytes: Uint8Array, base: number, j: number): number {
  return j < 4 ? bytes[base + j + 4]! & 63 : (bytes[base + j + 4]! >> 4) | ((bytes[base + j]! >> 6) << 4);
}

// Q2_K (84 bytes): scales[16] (low nibble scale, high nibble min of each 16-value sub-block),
// qs[64] (2-bit quants), d, dmin: x = d·scale·q − dmin·min.
// The 2-bit quants: each half of 128 values has 32 bytes; value 32·j + l of the half (j = 0..3,
// l = 0..31) is bits 2j..2j+1 of byte l, so one byte holds four values 32 apart.
function decodeQ2K(bytes: Uint8Array, view: DataView, at: number, out: Float32Array, outAt: number): void {
  const d = f16At(view, at + 80);
  const dmin = f16At(view, at + 82);
  for (let sub = 0; sub < 16; sub++) {
    const code = bytes[at + sub]!;
    const step = d * (code & 0x0f);
    const offset = dmin * (code >> 4);
    const qs = at + 16 + 32 * (sub >> 3) + 16 * (sub & 1);
    const shift = 2 * ((sub >> 1) & 3);
    const o = outAt + 16 * sub;
    for (let l = 0; l < 16; l++) out[o + l] = step * ((bytes[qs + l]! >> shift) & 3) - offset;
  }
}

// Q3_K (110 bytes): hmask[32] (high bits), qs[64] (low 2 bits, laid out as in Q2_K), scales[12]
// (sixteen 6-bit scales stored +32), d: x = d·(scale − 32)·(q − 4), where the high bit of q is
// set in the mask (a clear bit subtracts 4). Bit b of mask byte l belongs to value 32·b + l.
/** The factor of sub-block `sub` of the Q3_K super-block at `at`: d·(scale − 32). */
function q3KStep(bytes: Uint8Array, view: DataView, at: number, sub: number): number {
  const scales = at + 96;
  // Low 4 bits: the low nibbles of bytes 0..7 for scales 0..7, their high nibbles for 8..15;
  // top 2 bits: bits 2·(sub / 4) of byte 8 + sub % 4.
  const low = sub < 8 ? bytes[scales + sub]! & 0x0f : bytes[scales + sub - 8]! >> 4;
  const high = (bytes[scales + 8 + (sub & 3)]! >> (2 * (sub >> 2))) & 3;
  return f16At(view, at + 108) * ((low | (high << 4)) - 32);
}

function decodeQ3K(bytes: Uint8Array, view: DataView, at: number, out: Float32Array, outAt: number): void {
  for (let sub = 0; sub < 16; sub++) {
    const step = q3KStep(bytes, view, at, sub);
    const half = sub >> 3;
    const j = (sub >> 1) & 3;
    const l0 = 16 * (sub & 1);
    const qs = at + 32 + 32 * half + l0;
    const maskBit = 4 * half + j;
    const o = outAt + 16 * sub;
    for (let l = 0; l < 16; l++) {
      const q = ((bytes[qs + l]! >> (2 * j)) & 3) - ((bytes[at + l0 + l]! >> maskBit) & 1 ? 0 : 4);
      out[o + l] = step * q;
    }
  }
}

// Q4_K (144 bytes): d, dmin, scales[12] (see packedScale), qs[128]: x = d·scale·q − dmin·min.
// Each 64 values share 32 bytes: the first 32 are the low nibbles, the next 32 the high nibbles.
function decodeQ4K(bytes: Uint8Array, view: DataView, at: number, out: Float32Array, outAt: number): void {
  const d = f16At(view, at);
  const dmin = f16At(view, at + 2);
  for (let sub = 0; sub < 8; sub++) {
    const step = d * packedScale(bytes, at + 4, sub);
    const offset = dmin * packedMin(bytes, at + 4, sub);
    const qs = at + 16 + 32 * (sub >> 1);
    const shift = 4 * (sub & 1);
    const o = outAt + 32 * sub;
    for (let l = 0; l < 32; l++) out[o + l] = step * ((bytes[qs + l]! >> shift) & 0x0f) - offset;
  }
}

// Q5_K (176 bytes): as Q4_K with qh[32] before qs: bit `sub` of byte l is the fifth bit (16) of
// value l of sub-block `sub`.
function decodeQ5K(bytes: Uint8Array, view: DataView, at: number, out: Float32Array, outAt: number): void {
  const d = f16At(view, at);
  const dmin = f16At(view, at + 2);
  const qh = at + 16;
  for (let sub = 0; sub < 8; sub++) {
    const step = d * packedScale(bytes, at + 4, sub);
    const offset = dmin * packedMin(bytes, at + 4, sub);
    const qs = at + 48 + 32 * (sub >> 1);
    const shift = 4 * (sub & 1);
    const o = outAt + 32 * sub;
    for (let l = 0; l < 32; l++) {
      const q = ((bytes[qs + l]! >> shift) & 0x0f) | (((bytes[qh + l]! >> sub) & 1) << 4);
      out[o + l] = step * q - offset;
    }
  }
}

// Q6_K (210 bytes): ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8), d:
// x = d·scale·(q − 32). Each half of 128 values has 64 ql bytes and 32 qh bytes; value 32·k + l of
// the half (k = 0..3) takes the low (k < 2) or high nibble of ql byte l + 32·(k % 2) and bits
// 2k..2k+1 of qh byte l.
/** The factor of sub-block `sub` of the Q6_K super-block at `at`: d·scale. */
function q6KStep(bytes: Uint8Array, view: DataView, at: number, sub: number): number {
  return f16At(view, at + 208) * int8(bytes[at + 192 + sub]!);
}

function decodeQ6K(bytes: Uint8Array, view: DataView, at: number, out: Float32Array, outAt: number): void {
  for (let sub = 0; sub < 16; sub++) {
    const step = q6KStep(bytes, view, at, sub);
    const half = sub >> 3;
    const k = (sub >> 1) & 3;
    const l0 = 16 * (sub & 1);
    const ql = at + 64 * half + 32 * (k & 1) + l0;
    const qh = at + 128 + 32 * half + l0;
    const lowShift = 4 * (k >> 1);
    const o = outAt + 16 * sub;
    for (let l = 0; l < 16; l++) {
      const q = ((bytes[ql + l]! >> lowShift) & 0x0f) | (((bytes[qh + l]! >> (2 * k)) & 3) << 4);
      out[o + l] = step * (q - 32);
    }
  }
}

// Q8_K (292 bytes): d (float32), qs[256] (int8), bsums[16]: x = d·q. The bsums (sums of 16 quants)
// only speed up llama.cpp's dot products; the values do not need them.
function decodeQ8K(bytes: Uint8Array, view: DataView, at: number, out: Float32Array, outAt: number): void {
  const d = view.getFloat32(at, true);
  for (let j = 0; j < QK_K; j++) out[outAt + j] = d * int8(bytes[at + 4 + j]!);
}

/** Super-block byte sizes (as ggml-common.h's static_asserts) and decoders of the K-quants. */
export const kQuantLayouts: Readonly<Record<KQuantType, KQuantLayout>> = {
  Q2_K: { blockBytes: QK_K / 16 + QK_K / 4 + 4, decode: decodeQ2K },
  Q3_K: { blockBytes: QK_K / 8 + QK_K / 4 + 12 + 2, decode: decodeQ3K, steps: { values: 16, step: q3KStep } },
  Q4_K: { blockBytes: 4 + 12 + QK_K / 2, decode: decodeQ4K },
  Q5_K: { blockBytes: 4 + 12 + QK_K / 8 + QK_K / 2, decode: decodeQ5K },
  Q6_K: {
    blockBytes: QK_K / 2 + QK_K / 4 + QK_K / 16 + 2,
    decode: decodeQ6K,
    steps: { values: 16, step: q6KStep },
  },
  Q8_K: {
    blockBytes: 4 + QK_K + 2 * (QK_K / 16),
    decode: decodeQ8K,
    steps: { values: QK_K, step: (_bytes, view, at) => view.getFloat32(at, true) },
  },
};
