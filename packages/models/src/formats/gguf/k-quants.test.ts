import { createHash } from "node:crypto";
import { seededUniform } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import {
  encodeKBlock,
  type KBlockCodes,
  type KType,
  kBlockValues,
  kFormat,
  quantizeK,
  randomKBlocks,
  SUPER_BLOCK,
} from "./k-quants.test-helpers.ts";
import { dequantize, ggmlBlockValues, ggmlByteLength, ggmlTypeId, ggmlTypeName } from "./quantization.ts";
import { readGguf, readGgufTensor } from "./read.ts";
import { writeGguf } from "./write.ts";

const kTypes: KType[] = ["Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"];

/** Exact comparison that also tells +0 from −0 and names the first differing index. */
function expectSameFloats(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const first = actual.findIndex((v, i) => !Object.is(v, expected[i]));
  expect(first === -1 ? "identical" : `index ${first}: ${actual[first]} vs ${expected[first]}`, what).toBe(
    "identical",
  );
}

/** Integer codes in low..high, the two ends first so that every edge code appears. */
function codes(random: () => number, count: number, low: number, high: number): number[] {
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? low : i === 1 ? high : low + Math.floor(random() * (high - low + 1)),
  );
}

/** Random codes of one super-block of `type`, edge codes (0, max, most negative) included. */
function randomCodes(type: KType, random: () => number, d: number, dmin: number): KBlockCodes {
  const subs = SUPER_BLOCK / kFormat[type].subValues;
  switch (type) {
    case "Q2_K":
      return {
        d,
        dmin,
        scales: codes(random, subs, 0, 15),
        mins: codes(random, subs, 0, 15),
        q: codes(random, 256, 0, 3),
      };
    case "Q3_K":
      return { d, scales: codes(random, subs, -32, 31), q: codes(random, 256, -4, 3) };
    case "Q4_K":
    case "Q5_K": {
      // Scales and mins of 16..63 in sub-blocks 4..7 put bits into the shared top bits of bytes 0..7.
      const top = type === "Q4_K" ? 15 : 31;
      return {
        d,
        dmin,
        scales: codes(random, subs, 0, 63),
        mins: codes(random, subs, 0, 63),
        q: codes(random, 256, 0, top),
      };
    }
    case "Q6_K":
      return { d, scales: codes(random, subs, -128, 127), q: codes(random, 256, -32, 31) };
    case "Q8_K":
      return { d: Math.fround(d * 1.2345678), q: codes(random, 256, -128, 127) };
  }
}

describe("K-quant block formats", () => {
  it("have ggml's type ids, 256-value super-blocks and the byte sizes of ggml-common.h", () => {
    expect(kTypes.map(ggmlTypeId)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(kTypes.map((type) => ggmlTypeName(ggmlTypeId(type)))).toEqual(kTypes);
    expect(kTypes.map(ggmlBlockValues)).toEqual([256, 256, 256, 256, 256, 256]);
    expect(kTypes.map((type) => ggmlByteLength(type, 512))).toEqual([168, 220, 288, 352, 420, 584]);
    expect(() => ggmlByteLength("Q4_K", 384)).toThrow(/384 values are not whole Q4_K blocks of 256/);
  });

  for (const type of kTypes) {
    it(`${type}: dequantizes hand-encoded codes exactly, edge codes included`, () => {
      const random = seededUniform(kTypes.indexOf(type) + 1);
      // Two super-blocks with different fp16 factors, one of them negative.
      const blocks = [
        randomCodes(type, random, 0.5, 0.25),
        randomCodes(type, random, -0.01171875, 0.0078125),
      ];
      const bytes = Uint8Array.from(blocks.flatMap((block) => Array.from(encodeKBlock(type, block))));
      const expected = Float32Array.from(blocks.flatMap((block) => Array.from(kBlockValues(type, block))));
      expectSameFloats(dequantize(type, bytes, 512), expected, type);
    });
  }

  it("Q4_K and Q5_K: the packed 6-bit scale and min of every sub-block, at 0 and 63", () => {
    for (const type of ["Q4_K", "Q5_K"] as const) {
      for (let sub = 0; sub < 8; sub++) {
        // One sub-block at scale 63, min 63, the others at scale 1, min 0: x = d·63·q − dmin·63.
        const scales = Array.from({ length: 8 }, (_, j) => (j === sub ? 63 : 1));
        const mins = Array.from({ length: 8 }, (_, j) => (j === sub ? 63 : 0));
        const top = type === "Q4_K" ? 15 : 31;
        const q = Array.from({ length: 256 }, (_, e) => (e % 2 ? top : 0));
        const values = dequantize(type, encodeKBlock(type, { d: 0.5, dmin: 0.25, scales, mins, q }), 256);
        for (let e = 0; e < 256; e++) {
          const inSub = Math.floor(e / 32) === sub;
          const expected = inSub ? 0.5 * 63 * q[e]! - 0.25 * 63 : 0.5 * q[e]!;
          expect(values[e], `${type} sub-block ${sub}, value ${e}`).toBe(expected);
        }
      }
    }
  });

  it("Q5_K and Q6_K: the high bits of the quants land on the right values", () => {
    // Q5_K: q = 16 is the high bit alone (low nibble 0); Q6_K: q − 32 = 16 is bits 4..5 = 3.
    const q5 = Array.from({ length: 256 }, (_, e) => (e % 3 === 0 ? 16 : e % 3 === 1 ? 31 : 15));
    const one = Array.from({ length: 8 }, () => 1);
    const zero = Array.from({ length: 8 }, () => 0);
    const q5Values = dequantize(
      "Q5_K",
      encodeKBlock("Q5_K", { d: 1, dmin: 0, scales: one, mins: zero, q: q5 }),
      256,
    );
    expect(Array.from(q5Values)).toEqual(q5);
    const q6 = Array.from({ length: 256 }, (_, e) => [-32, 31, 16, -16, 0][e % 5]!);
    const scales = Array.from({ length: 16 }, (_, j) => (j % 2 ? -128 : 127));
    const q6Values = dequantize("Q6_K", encodeKBlock("Q6_K", { d: 0.5, scales, q: q6 }), 256);
    q6.forEach((code, e) => {
      expect(q6Values[e], `value ${e}`).toBe(0.5 * scales[Math.floor(e / 16)]! * code);
    });
    // The negative int8 scale −128 and the extreme quant −32: 0.5 · −128 · −32 = 2048.
    expect(q6Values[20]).toBe(2048);
  });

  it("every stored bit but Q8_K's bsums changes some value", () => {
    for (const type of kTypes) {
      // No zero scale: a sub-block of scale 0 ignores its quants, as the format says.
      const block = randomCodes(type, seededUniform(7), 0.5, 0.25);
      block.scales = block.scales?.map((scale) => scale || 1);
      const bytes = encodeKBlock(type, block);
      const base = dequantize(type, bytes, 256);
      const usedBytes = type === "Q8_K" ? 260 : bytes.length;
      for (let byte = 0; byte < usedBytes; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          // The top bit of an fp16 exponent turns 0.5 into a huge or infinite factor: still a change.
          const flipped = bytes.slice();
          flipped[byte]! ^= 1 << bit;
          const values = dequantize(type, flipped, 256);
          expect(
            values.some((v, i) => !Object.is(v, base[i])),
            `${type} byte ${byte} bit ${bit}`,
          ).toBe(true);
        }
      }
    }
  });

  it("matches llama.cpp's own Python port (gguf-py 0.19.0) on random super-blocks, bit for bit", () => {
    // SHA-256 of the float32 little-endian values that gguf-py's gguf.quants.dequantize (a numpy
    // port of ggml's dequantize_row_q*_K, float32 throughout) gives for these bytes: eight random
    // super-blocks per type, written to a GGUF by writeGguf and read back with gguf.GGUFReader.
    // gguf-py has no Q8_K dequantizer; Q8_K is d·q alone and is checked above.
    const reference: Partial<Record<KType, string>> = {
      Q2_K: "396698411508ab3b122d1390e06ec851f569ed3354ce60b2032f7a33da8e2667",
      Q3_K: "952dfc0ad49101498dc90e423fdf0cc97e5e3b752fd38cb39caee43206fc0a59",
      Q4_K: "4ea57322a479f44ca88756d7e86957833d349cc5188727042f01aa684e47ffc3",
      Q5_K: "a6c1ff748b5a33cc05c9a80542a709177e4be9074bf8dc6ce2c88aaddc13ee05",
      Q6_K: "8a4480db341bfe1c8efd2c8599340e0abaaa4a196ee2e54cf5789464ee55019f",
    };
    for (const [type, sha256] of Object.entries(reference) as Array<[KType, string]>) {
      const bytes = randomKBlocks(type, 8, seededUniform(1000 + type.charCodeAt(1)));
      const values = dequantize(type, bytes, 8 * SUPER_BLOCK);
      expect(createHash("sha256").update(new Uint8Array(values.buffer)).digest("hex"), type).toBe(sha256);
    }
  });

  it("refuses too few bytes instead of reading NaN", () => {
    expect(() => dequantize("Q6_K", new Uint8Array(209), 256)).toThrow(/take 210 bytes; only 209/);
  });
});

/** Random rows with a spread of magnitudes and signs, some sub-blocks all positive or all zero. */
function randomRows(seed: number, count: number): Float32Array {
  const random = seededUniform(seed);
  return Float32Array.from({ length: count }, (_, i) => {
    const block = Math.floor(i / 32);
    if (block % 11 === 3) return 0;
    const scale = 0.01 * 10 ** (2 * random());
    return block % 5 === 2 ? scale * random() : scale * (2 * random() - 1);
  });
}

describe("K-quants through write.ts → read.ts", () => {
  for (const type of kTypes) {
    it(`${type}: a quantized [3, 512] tensor reads back exactly, within half a step of the input`, async () => {
      const rows = randomRows(kTypes.indexOf(type) + 20, 3 * 512);
      const quantized = quantizeK(type, rows);
      const bias = Float32Array.from({ length: 5 }, (_, i) => i - 2);
      const file = await readGguf(
        writeGguf({
          metadata: {},
          tensors: [
            { name: "first", dims: [5], data: bias, type: "F32" },
            { name: "weight", dims: [3, 512], type, bytes: quantized.bytes },
            { name: "after", dims: [5], data: bias, type: "F32" },
          ],
        }),
        { source: `${type}.gguf` },
      );
      const read = readGgufTensor(file, "weight");
      expect(read.dims).toEqual([3, 512]);
      expectSameFloats(read.data, quantized.values, type);
      // The tensor after the odd-sized blocks (110, 210 bytes) is found at its aligned offset.
      expectSameFloats(readGgufTensor(file, "after").data, bias, "after");
      let worst = 0;
      rows.forEach((value, i) => {
        const step = quantized.steps[Math.floor(i / kFormat[type].subValues)]!;
        const error = Math.abs(read.data[i]! - value);
        // A float32 rounding of the result on top of half a step.
        expect(error, `${type} value ${i}`).toBeLessThanOrEqual(step / 2 + Math.abs(value) * 2 ** -23);
        if (step > 0) worst = Math.max(worst, error / step);
      });
      // Somewhere a value falls near the middle between two levels: the data did go through the grid.
      expect(worst).toBeGreaterThan(0.3);
    });
  }
});

describe("K-quant tensors in damaged files", () => {
  /** A file with one Q4_K tensor of 512 values, and where its stored dims (innermost first) are. */
  function oneTensorFile(type: KType, dims: number[]) {
    const count = dims.reduce((a, b) => a * b, 1);
    const bytes = writeGguf({
      metadata: {},
      tensors: [
        { name: "blk.0.attn_q.weight", dims, type, bytes: quantizeK(type, randomRows(3, count)).bytes },
      ],
    });
    // Header (24 bytes), then the tensor info: u64 name length, the name, u32 dim count, the dims.
    const dimsAt = 24 + 8 + "blk.0.attn_q.weight".length + 4;
    return { bytes, dimsAt };
  }

  it("names the tensor and the type when a row is not whole 256-value super-blocks", async () => {
    const { bytes, dimsAt } = oneTensorFile("Q4_K", [2, 256]);
    const view = new DataView(bytes.buffer);
    // [4, 128]: 512 values are still two super-blocks, but each would straddle two rows.
    view.setBigUint64(dimsAt, 128n, true);
    view.setBigUint64(dimsAt + 8, 4n, true);
    await expect(readGguf(bytes, { source: "rows.gguf" })).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringContaining(
        'rows.gguf: tensor "blk.0.attn_q.weight" (Q4_K [4,128]) has rows of 128 values, not whole Q4_K blocks of 256',
      ),
    });
    view.setBigUint64(dimsAt, 100n, true);
    view.setBigUint64(dimsAt + 8, 1n, true);
    await expect(readGguf(bytes, { source: "rows.gguf" })).rejects.toThrow(
      /\(Q4_K \[1,100\]\) has rows of 100 values/,
    );
  });

  it("names the tensor and the type when its data is cut short", async () => {
    const { bytes } = oneTensorFile("Q6_K", [2, 256]);
    const entry = (await readGguf(bytes)).tensors.get("blk.0.attn_q.weight")!;
    const end = entry.byteOffset + 2 * 210;
    await expect(readGguf(bytes.subarray(0, end - 1), { source: "cut.gguf" })).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringMatching(
        /^cut\.gguf: tensor "blk\.0\.attn_q\.weight" \(Q6_K \[2,256\]\) ends at byte \d+, past the end of the \d+-byte file/,
      ),
    });
    await expect(readGguf(bytes.subarray(0, end))).resolves.toBeDefined();
  });

  it("re-checks an entry changed after reading, and names types it still cannot read", async () => {
    const { bytes } = oneTensorFile("Q8_K", [1, 512]);
    const file = await readGguf(bytes, { source: "changed.gguf" });
    const entry = file.tensors.get("blk.0.attn_q.weight")!;
    entry.typeId = ggmlTypeId("Q6_K");
    entry.dims = [4, 128];
    expect(() => readGgufTensor(file, entry.name)).toThrow(
      expect.objectContaining({
        code: "MODEL_LOAD_FAILED",
        message: expect.stringContaining("(Q6_K [4,128]) has rows of 128"),
      }),
    );
    entry.typeId = 16; // IQ2_XXS
    expect(() => readGgufTensor(file, entry.name)).toThrow(
      /GGML type 16, which tokenscope cannot dequantize \(IQ2_XXS; tokenscope reads F32, F16, BF16, Q8_0, Q4_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K\)/,
    );
  });

  it("the writer refuses encoded bytes that do not fit the dims", () => {
    const bytes = quantizeK("Q4_K", randomRows(4, 512)).bytes;
    const write = (dims: number[], data: Uint8Array) =>
      writeGguf({ metadata: {}, tensors: [{ name: "w", dims, type: "Q4_K", bytes: data }] });
    expect(() => write([4, 128], bytes)).toThrow(/cannot be stored as Q4_K: rows must be multiples of 256/);
    expect(() => write([2, 256], bytes.subarray(1))).toThrow(/has 287 bytes; 512 values of Q4_K take 288/);
  });
});
