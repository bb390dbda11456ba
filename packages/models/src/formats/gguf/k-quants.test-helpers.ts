import { f16round, getFloat16, setFloat16 } from "@petamoriken/float16";

// An encoder of K-quant super-blocks written from the layouts in llama.cpp's ggml-common.h alone,
// value by value and field by field (where each bit of each code goes), not from the decoder in
// k-quants.ts, so that the two check each other; and a simple quantizer over it.

/** The K-quant types. */
export type KType = "Q2_K" | "Q3_K" | "Q4_K" | "Q5_K" | "Q6_K" | "Q8_K";

/** Values per super-block. */
export const SUPER_BLOCK = 256;

/**
 * The integer codes of one super-block, as the format defines them (not as it stores them):
 * `d`, `dmin` are fp16 values (Q8_K: a float32 `d`); `scales`/`mins` one per sub-block — Q2_K
 * 0..15 / 0..15, Q3_K −32..31, Q4_K and Q5_K 0..63 / 0..63, Q6_K −128..127, Q8_K none; `q` the
 * 256 quants — Q2_K 0..3, Q3_K −4..3, Q4_K 0..15, Q5_K 0..31, Q6_K −32..31, Q8_K −128..127.
 */
export interface KBlockCodes {
  d: number;
  dmin?: number;
  scales?: number[];
  mins?: number[];
  q: number[];
}

/** Bytes per super-block, sub-block size, and whether the format has mins. */
export const kFormat: Record<KType, { blockBytes: number; subValues: number; hasMins: boolean }> = {
  Q2_K: { blockBytes: 84, subValues: 16, hasMins: true },
  Q3_K: { blockBytes: 110, subValues: 16, hasMins: false },
  Q4_K: { blockBytes: 144, subValues: 32, hasMins: true },
  Q5_K: { blockBytes: 176, subValues: 32, hasMins: true },
  Q6_K: { blockBytes: 210, subValues: 16, hasMins: false },
  Q8_K: { blockBytes: 292, subValues: 256, hasMins: false },
};

/** ORs the low `width` bits of `value` into `block` at byte `byte`, from bit `bit` up. */
function putBits(block: Uint8Array, byte: number, bit: number, width: number, value: number): void {
  const field = value & ((1 << width) - 1);
  if ((block[byte]! >> bit) & ((1 << width) - 1)) throw new Error(`bits ${byte}:${bit} written twice`);
  block[byte]! |= field << bit;
}

function putF16(block: Uint8Array, byte: number, value: number): void {
  if (f16round(value) !== value) throw new Error(`${value} is not an fp16 value`);
  setFloat16(new DataView(block.buffer, block.byteOffset), byte, value, true);
}

/** Where value `e` of a super-block sits in a 2-bit `qs` field (Q2_K, Q3_K): byte and bit. */
function twoBitSlot(e: number): [number, number] {
  // Per 128 values, 32 bytes; value 32·j + l of the 128 takes bits 2j, 2j+1 of byte l.
  const half = Math.floor(e / 128);
  const j = Math.floor((e % 128) / 32);
  return [32 * half + (e % 32), 2 * j];
}

/** Where value `e` sits in a 4-bit `qs` field of Q4_K/Q5_K: 32 bytes per 64 values, low nibbles first. */
function nibbleSlot(e: number): [number, number] {
  const chunk = Math.floor(e / 64);
  return [32 * chunk + (e % 32), e % 64 < 32 ? 0 : 4];
}

/** Puts the 6-bit scale and min of sub-block j in a Q4_K/Q5_K 12-byte scales field at `at`. */
function putScaleMin6(block: Uint8Array, at: number, j: number, scale: number, min: number): void {
  if (j < 4) {
    putBits(block, at + j, 0, 6, scale);
    putBits(block, at + j + 4, 0, 6, min);
  } else {
    putBits(block, at + j + 4, 0, 4, scale);
    putBits(block, at + j + 4, 4, 4, min);
    putBits(block, at + j - 4, 6, 2, scale >> 4);
    putBits(block, at + j, 6, 2, min >> 4);
  }
}

function checkRange(name: string, values: number[], low: number, high: number, count: number): void {
  if (values.length !== count) throw new Error(`${name}: ${values.length} codes, not ${count}`);
  const bad = values.find((v) => !Number.isInteger(v) || v < low || v > high);
  if (bad !== undefined) throw new Error(`${name}: ${bad} is outside ${low}..${high}`);
}

/** The bytes of one super-block of `type` holding `codes`. */
export function encodeKBlock(type: KType, codes: KBlockCodes): Uint8Array {
  const block = new Uint8Array(kFormat[type].blockBytes);
  const { q } = codes;
  const scales = codes.scales ?? [];
  const mins = codes.mins ?? [];
  switch (type) {
    case "Q2_K": {
      checkRange("scales", scales, 0, 15, 16);
      checkRange("mins", mins, 0, 15, 16);
      checkRange("q", q, 0, 3, 256);
      scales.forEach((scale, j) => {
        putBits(block, j, 0, 4, scale);
        putBits(block, j, 4, 4, mins[j]!);
      });
      q.forEach((code, e) => {
        const [byte, bit] = twoBitSlot(e);
        putBits(block, 16 + byte, bit, 2, code);
      });
      putF16(block, 80, codes.d);
      putF16(block, 82, codes.dmin!);
      break;
    }
    case "Q3_K": {
      checkRange("scales", scales, -32, 31, 16);
      checkRange("q", q, -4, 3, 256);
      scales.forEach((scale, j) => {
        const stored = scale + 32;
        putBits(block, 96 + (j % 8), j < 8 ? 0 : 4, 4, stored);
        putBits(block, 96 + 8 + (j % 4), 2 * Math.floor(j / 4), 2, stored >> 4);
      });
      q.forEach((code, e) => {
        const stored = code + 4;
        // hmask: value 32·b + l is bit b of byte l.
        putBits(block, e % 32, Math.floor(e / 32), 1, stored >> 2);
        const [byte, bit] = twoBitSlot(e);
        putBits(block, 32 + byte, bit, 2, stored);
      });
      putF16(block, 108, codes.d);
      break;
    }
    case "Q4_K":
    case "Q5_K": {
      checkRange("scales", scales, 0, 63, 8);
      checkRange("mins", mins, 0, 63, 8);
      checkRange("q", q, 0, type === "Q4_K" ? 15 : 31, 256);
      putF16(block, 0, codes.d);
      putF16(block, 2, codes.dmin!);
      scales.forEach((scale, j) => {
        putScaleMin6(block, 4, j, scale, mins[j]!);
      });
      const qs = type === "Q4_K" ? 16 : 48;
      q.forEach((code, e) => {
        const [byte, bit] = nibbleSlot(e);
        putBits(block, qs + byte, bit, 4, code);
        // qh: bit b of byte l is the fifth bit of value l of sub-block b.
        if (type === "Q5_K") putBits(block, 16 + (e % 32), Math.floor(e / 32), 1, code >> 4);
      });
      break;
    }
    case "Q6_K": {
      checkRange("scales", scales, -128, 127, 16);
      checkRange("q", q, -32, 31, 256);
      q.forEach((code, e) => {
        const stored = code + 32;
        const half = Math.floor(e / 128);
        const k = Math.floor((e % 128) / 32);
        const l = e % 32;
        putBits(block, 64 * half + 32 * (k % 2) + l, k < 2 ? 0 : 4, 4, stored);
        putBits(block, 128 + 32 * half + l, 2 * k, 2, stored >> 4);
      });
      scales.forEach((scale, j) => {
        putBits(block, 192 + j, 0, 8, scale);
      });
      putF16(block, 208, codes.d);
      break;
    }
    case "Q8_K": {
      checkRange("q", q, -128, 127, 256);
      const view = new DataView(block.buffer);
      view.setFloat32(0, codes.d, true);
      q.forEach((code, e) => {
        view.setInt8(4 + e, code);
      });
      for (let group = 0; group < 16; group++) {
        const sum = q.slice(16 * group, 16 * group + 16).reduce((a, b) => a + b, 0);
        view.setInt16(260 + 2 * group, sum, true);
      }
      break;
    }
  }
  return block;
}

/**
 * The values the format defines for `codes`, rounded once to float32: d·scale·q − dmin·min (Q2_K,
 * Q4_K, Q5_K), d·scale·q (Q3_K, Q6_K, with their signed scales and quants), d·q (Q8_K). The
 * products are exact in float32, so one rounding is what llama.cpp's float arithmetic gives.
 */
export function kBlockValues(type: KType, codes: KBlockCodes): Float32Array {
  const { subValues } = kFormat[type];
  return Float32Array.from(codes.q, (code, e) => {
    if (type === "Q8_K") return Math.fround(codes.d * code);
    const sub = Math.floor(e / subValues);
    const scaled = codes.d * codes.scales![sub]! * code;
    return Math.fround(kFormat[type].hasMins ? scaled - codes.dmin! * codes.mins![sub]! : scaled);
  });
}

/** The smallest fp16 value at least `x` (x ≥ 0): so that a factor times the top code covers `x`. */
function f16AtLeast(x: number): number {
  const view = new DataView(new ArrayBuffer(2));
  setFloat16(view, 0, x, true);
  if (getFloat16(view, 0, true) < x) view.setUint16(0, view.getUint16(0, true) + 1, true);
  return getFloat16(view, 0, true);
}

/** Largest code of the quants (asymmetric) or of their magnitude (symmetric), and of the scale codes. */
const levels: Record<KType, { q: number; scale: number; min?: number }> = {
  Q2_K: { q: 3, scale: 15, min: 15 },
  Q3_K: { q: 3, scale: 31 },
  Q4_K: { q: 15, scale: 63, min: 63 },
  Q5_K: { q: 31, scale: 63, min: 63 },
  Q6_K: { q: 31, scale: 127 },
  Q8_K: { q: 127, scale: 1 },
};

/** What {@link quantizeK} makes: the bytes, the codes, the values they stand for, and each sub-block's step. */
export interface KQuantized {
  bytes: Uint8Array;
  blocks: KBlockCodes[];
  values: Float32Array;
  /** |d·scale| of each sub-block (Q8_K: |d| of each super-block), in value order. */
  steps: number[];
}

/**
 * A simple K-quantizer (the idea of llama.cpp's quantize_row_q*_K_ref, without its search for the
 * best scales): each sub-block's step and min are rounded *up* to codes of the super-block
 * factors, so that its grid covers all its values and rounding to the grid errs by at most half a
 * step. Odd sub-blocks of Q3_K and Q6_K get negative scales (and negated quants) to exercise them.
 */
export function quantizeK(type: KType, values: Float32Array): KQuantized {
  if (values.length % SUPER_BLOCK !== 0) throw new Error(`${values.length} is not whole super-blocks`);
  const { subValues, hasMins } = kFormat[type];
  const level = levels[type];
  const blocks: KBlockCodes[] = [];
  const steps: number[] = [];
  for (let start = 0; start < values.length; start += SUPER_BLOCK) {
    const x = Array.from(values.subarray(start, start + SUPER_BLOCK));
    if (type === "Q8_K") {
      const amax = Math.max(...x.map(Math.abs));
      const d = Math.fround(amax / 127);
      // `+ 0` turns Math.round's −0 into the integer code 0 that the block stores.
      const q = x.map((v) => (d ? Math.max(-128, Math.min(127, Math.round(v / d))) + 0 : 0));
      blocks.push({ d, q });
      steps.push(d);
      continue;
    }
    const subs = Array.from({ length: SUPER_BLOCK / subValues }, (_, j) =>
      x.slice(j * subValues, (j + 1) * subValues),
    );
    // Asymmetric: the grid is −min + step·(0..levels); symmetric: step·(−levels..levels).
    const minNeeded = subs.map((sub) => (hasMins ? -Math.min(0, ...sub) : 0));
    const dmin = hasMins ? f16AtLeast(Math.max(...minNeeded) / level.min!) : 0;
    const mins = minNeeded.map((need) => (dmin ? Math.ceil(need / dmin) : 0));
    const stepNeeded = subs.map((sub, j) =>
      hasMins ? (Math.max(...sub) + dmin * mins[j]!) / level.q : Math.max(...sub.map(Math.abs)) / level.q,
    );
    const d = f16AtLeast(Math.max(...stepNeeded) / level.scale);
    const scales = stepNeeded.map((need, j) => {
      const code = d ? Math.min(level.scale, Math.ceil(need / d)) : 0;
      return !hasMins && j % 2 === 1 && code ? -code : code;
    });
    const low = hasMins ? 0 : type === "Q3_K" ? -4 : -32;
    const high = level.q;
    const q = x.map((v, e) => {
      const j = Math.floor(e / subValues);
      const step = d * scales[j]!;
      const offset = dmin * mins[j]!;
      return step ? Math.max(low, Math.min(high, Math.round((v + offset) / step))) + 0 : 0;
    });
    blocks.push(hasMins ? { d, dmin, scales, mins, q } : { d, scales, q });
    for (const scale of scales) steps.push(Math.abs(d * scale));
  }
  const bytes = new Uint8Array(blocks.length * kFormat[type].blockBytes);
  const decoded = new Float32Array(values.length);
  blocks.forEach((codes, b) => {
    bytes.set(encodeKBlock(type, codes), b * kFormat[type].blockBytes);
    decoded.set(kBlockValues(type, codes), b * SUPER_BLOCK);
  });
  return { bytes, blocks, values: decoded, steps };
}

/** Byte offsets of the fp16 factors (d, dmin) in a super-block of each type; Q8_K's d is float32 at 0. */
const factorOffsets: Record<KType, number[]> = {
  Q2_K: [80, 82],
  Q3_K: [108],
  Q4_K: [0, 2],
  Q5_K: [0, 2],
  Q6_K: [208],
  Q8_K: [],
};

/**
 * `blocks` super-blocks of random bytes (every bit pattern of scales and quants can occur), with
 * finite factors of mixed sign and magnitude, the same for the same seed: input for comparing
 * with another implementation of the format.
 */
export function randomKBlocks(type: KType, blocks: number, random: () => number): Uint8Array {
  const { blockBytes } = kFormat[type];
  const bytes = Uint8Array.from({ length: blocks * blockBytes }, () => Math.floor(random() * 256));
  const view = new DataView(bytes.buffer);
  for (let b = 0; b < blocks; b++) {
    for (const offset of factorOffsets[type]) {
      setFloat16(view, b * blockBytes + offset, (random() - 0.3) * 10 ** (4 * random() - 3), true);
    }
    if (type === "Q8_K") view.setFloat32(b * blockBytes, (random() - 0.5) * 0.01, true);
  }
  return bytes;
}
