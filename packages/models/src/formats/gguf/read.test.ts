import { isTokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { concatBytes } from "../binary.ts";
import { ggufValueTypes as T } from "./format.ts";
import { ggmlTypeIds } from "./ggml-types.ts";
import { readGguf, readGgufTensor } from "./read.ts";
import { type GgufMetadataEntry, ggufValue, writeGguf } from "./write.ts";

// GGUF files written byte by byte, so that each field can be made wrong on its own.
const utf8 = new TextEncoder();
const u8 = (value: number) => Uint8Array.of(value);
function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}
function u64(value: number | bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value), true);
  return bytes;
}
const str = (text: string) => concatBytes([u64(utf8.encode(text).byteLength), utf8.encode(text)]);
const magic = utf8.encode("GGUF");

/** Header (magic, version, tensor count, metadata count) followed by `body`. */
function file(options: {
  version?: number;
  tensors?: number | bigint;
  entries?: number | bigint;
  body?: Uint8Array[];
}): Uint8Array {
  const { version = 3, tensors = 0, entries = 0, body = [] } = options;
  return concatBytes([magic, u32(version), u64(tensors), u64(entries), ...body]);
}

/** One metadata entry: key, value type, value bytes. */
const entry = (key: string, type: number, value: Uint8Array) => concatBytes([str(key), u32(type), value]);

/** One tensor info: name, dims (innermost first), GGML type, data offset. */
const tensorInfo = (name: string, dims: number[], type: number, offset: number) =>
  concatBytes([str(name), u32(dims.length), ...dims.map(u64), u32(type), u64(offset)]);

/** Runs `read` and returns the TokenscopeError it throws (failing the test otherwise). */
async function loadError(bytes: Uint8Array): Promise<Error & { code: string }> {
  try {
    await readGguf(bytes, { source: "bad.gguf" });
  } catch (error) {
    expect(isTokenscopeError(error, "MODEL_LOAD_FAILED"), String(error)).toBe(true);
    return error as Error & { code: string };
  }
  return expect.unreachable("readGguf accepted the bytes");
}

describe("readGguf on a hand-written file", () => {
  it("reads every value type, nested arrays included", async () => {
    const nested = concatBytes([
      u32(T.ARRAY),
      u64(2),
      u32(T.INT16),
      u64(1),
      u8(0xfe),
      u8(0xff),
      u32(T.INT16),
      u64(0),
    ]);
    const bytes = file({
      entries: 14,
      body: [
        entry("u8", T.UINT8, u8(200)),
        entry("i8", T.INT8, u8(0xff)),
        entry("u16", T.UINT16, concatBytes([u8(0x34), u8(0x12)])),
        entry("i16", T.INT16, concatBytes([u8(0xfe), u8(0xff)])),
        entry("u32", T.UINT32, u32(4_000_000_000)),
        entry("i32", T.INT32, u32(0xffffffff)),
        entry("f32", T.FLOAT32, u32(0x3fc00000)),
        entry("bool", T.BOOL, u8(1)),
        entry("string", T.STRING, str("café ☕")),
        entry("u64", T.UINT64, u64(2n ** 63n)),
        entry("i64", T.INT64, u64(2n ** 64n - 2n)),
        entry("f64", T.FLOAT64, new Uint8Array(new Float64Array([0.1]).buffer)),
        entry("strings", T.ARRAY, concatBytes([u32(T.STRING), u64(2), str("a"), str("")])),
        entry("nested", T.ARRAY, nested),
      ],
    });
    const { version, metadata, tensors } = await readGguf(bytes);
    expect(version).toBe(3);
    expect(tensors.size).toBe(0);
    expect(metadata).toEqual({
      u8: 200,
      i8: -1,
      u16: 0x1234,
      i16: -2,
      u32: 4_000_000_000,
      i32: -1,
      f32: 1.5,
      bool: true,
      string: "café ☕",
      u64: 2n ** 63n,
      i64: -2n,
      f64: 0.1,
      strings: ["a", ""],
      nested: [[-2], []],
    });
  });

  it("places the data at general.alignment (default 32) and reads version 2", async () => {
    const values = new Float32Array([1, 2, 3]);
    for (const [version, alignment] of [
      [2, undefined],
      [3, 64],
    ] as const) {
      const head = file({
        version,
        tensors: 1,
        entries: alignment ? 1 : 0,
        body: [
          ...(alignment ? [entry("general.alignment", T.UINT32, u32(alignment))] : []),
          tensorInfo("t", [3], ggmlTypeIds.F32, 0),
        ],
      });
      const start = Math.ceil(head.byteLength / (alignment ?? 32)) * (alignment ?? 32);
      const bytes = concatBytes([
        head,
        new Uint8Array(start - head.byteLength),
        new Uint8Array(values.buffer),
      ]);
      const gguf = await readGguf(bytes);
      expect(gguf.version).toBe(version);
      expect(gguf.tensors.get("t")!.byteOffset).toBe(start);
      expect(readGgufTensor(gguf, "t").data).toEqual(values);
    }
  });
});

describe("readGguf on malformed input", () => {
  it("a truncated header names the field it ends in", async () => {
    expect((await loadError(magic.subarray(0, 2))).message).toMatch(
      /^bad\.gguf: not a readable GGUF file \(the file ends at byte 2, inside the magic number\)/,
    );
    const cut = file({}).subarray(0, 12);
    expect((await loadError(cut)).message).toContain("the file ends at byte 12, inside the tensor count");
    expect((await loadError(new Uint8Array())).message).toContain("inside the magic number");
  });

  it("a bad magic number, an unsupported version and a big-endian file", async () => {
    const notGguf = concatBytes([utf8.encode("GGML"), file({}).subarray(4)]);
    expect((await loadError(notGguf)).message).toContain('starts with the bytes 47 47 4d 4c, not "GGUF"');
    for (const version of [1, 4, 0]) {
      expect((await loadError(file({ version }))).message).toContain(
        `GGUF version ${version} is not supported; tokenscope reads versions 2 and 3`,
      );
    }
    const bigEndian = concatBytes([magic, Uint8Array.of(0, 0, 0, 3), new Uint8Array(16)]);
    expect((await loadError(bigEndian)).message).toContain("big-endian GGUF files are not supported");
  });

  it("a string length past the end of the file, in a key and in a value", async () => {
    const longKey = file({ entries: 1, body: [u64(1_000_000), utf8.encode("general")] });
    expect((await loadError(longKey)).message).toContain(
      "the key of metadata entry 0 is 1000000 bytes long, past the end of the file (7 bytes left)",
    );
    const longValue = file({
      entries: 1,
      body: [str("general.name"), u32(T.STRING), u64(2n ** 64n - 1n), str("x")],
    });
    expect((await loadError(longValue)).message).toContain(
      `the value of "general.name" is 18446744073709551615 bytes long, past the end of the file`,
    );
  });

  it("an array length past the end fails before allocating", async () => {
    const started = performance.now();
    const huge = file({
      entries: 1,
      body: [entry("tokenizer.ggml.scores", T.ARRAY, concatBytes([u32(T.FLOAT32), u64(2n ** 40n)]))],
    });
    expect((await loadError(huge)).message).toContain(
      `the length of the value of "tokenizer.ggml.scores" is 1099511627776, but the 0 bytes left hold at most 0`,
    );
    // A string takes at least its 8-byte length: 3 strings cannot fit in 20 bytes.
    const strings = entry("tokens", T.ARRAY, concatBytes([u32(T.STRING), u64(3), u64(0), u64(0), u32(0)]));
    expect((await loadError(file({ entries: 1, body: [strings] }))).message).toContain(
      `the length of the value of "tokens" is 3, but the 20 bytes left hold at most 2`,
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("an absurd tensor or metadata count fails at once", async () => {
    expect((await loadError(file({ tensors: 2n ** 63n }))).message).toContain(
      "the tensor count is 9223372036854775808, but the 8 bytes left hold at most 0",
    );
    expect((await loadError(file({ entries: 10_000_000, body: [new Uint8Array(130)] }))).message).toContain(
      "the metadata count is 10000000, but the 130 bytes left hold at most 10",
    );
  });

  it("an unknown value type, too deep arrays, duplicate keys and tensors", async () => {
    expect((await loadError(file({ entries: 1, body: [entry("x", 13, u8(0))] }))).message).toContain(
      `the value type of "x" is 13, which is no GGUF value type`,
    );
    let deep = concatBytes([u32(T.UINT8), u64(0)]);
    for (let depth = 0; depth < 9; depth++) deep = concatBytes([u32(T.ARRAY), u64(1), deep]);
    expect((await loadError(file({ entries: 1, body: [entry("deep", T.ARRAY, deep)] }))).message).toContain(
      "nests arrays more than 8 deep",
    );
    const twice = file({ entries: 2, body: [entry("k", T.UINT8, u8(1)), entry("k", T.UINT8, u8(2))] });
    expect((await loadError(twice)).message).toContain('the metadata key "k" appears twice');
    const sameName = file({
      tensors: 2,
      body: [tensorInfo("t", [1], 0, 0), tensorInfo("t", [1], 0, 32), new Uint8Array(64)],
    });
    expect((await loadError(sameName)).message).toContain('the tensor name "t" appears twice');
  });

  it("tensor infos: too many dims, a misaligned offset, a bad alignment, data past the end", async () => {
    const fiveDims = file({ tensors: 1, body: [tensorInfo("t", [1, 1, 1, 1, 1], 0, 0)] });
    expect((await loadError(fiveDims)).message).toContain(
      'tensor "t" has 5 dims; GGML tensors have at most 4',
    );
    const misaligned = file({ tensors: 1, body: [tensorInfo("t", [1], 0, 4), new Uint8Array(64)] });
    expect((await loadError(misaligned)).message).toContain(
      'the data of tensor "t" starts at offset 4, not a multiple of the alignment 32',
    );
    const badAlignment = file({ entries: 1, body: [entry("general.alignment", T.UINT32, u32(24))] });
    expect((await loadError(badAlignment)).message).toContain("general.alignment is 24, not a power of two");
    const pastEnd = file({ tensors: 1, body: [tensorInfo("t", [1000], ggmlTypeIds.F32, 0)] });
    expect((await loadError(pastEnd)).message).toMatch(
      /tensor "t" \(F32 \[1000\]\) ends at byte \d+, past the end/,
    );
    const hugeDim = file({ tensors: 1, body: [tensorInfo("t", [2 ** 30, 2 ** 30, 2 ** 30], 0, 0)] });
    expect((await loadError(hugeDim)).message).toContain("has over 2^53 values");
  });
});

describe("writeGguf metadata", () => {
  it("round-trips every scalar type and arrays", async () => {
    const metadata = {
      "a.u8": { type: T.UINT8, value: 255 },
      "a.i16": { type: T.INT16, value: -300 },
      "a.u64": { type: T.UINT64, value: 2n ** 64n - 1n },
      "a.i64": { type: T.INT64, value: -5 },
      "a.f64": { type: T.FLOAT64, value: Math.PI },
      "a.bool": ggufValue.bool(false),
      "a.strings": ggufValue.strings(["x", "☕", ""]),
      "a.ints": ggufValue.int32s([-1, 0, 7]),
    } as const;
    const read = await readGguf(writeGguf({ metadata, tensors: [] }));
    expect(read.metadata).toEqual({
      "a.u8": 255,
      "a.i16": -300,
      "a.u64": 2n ** 64n - 1n,
      "a.i64": -5n,
      "a.f64": Math.PI,
      "a.bool": false,
      "a.strings": ["x", "☕", ""],
      "a.ints": [-1, 0, 7],
    });
  });

  it("refuses values that do not fit their type, nested arrays and a bad alignment", () => {
    const entries: Array<[string, GgufMetadataEntry]> = [
      ["x", ggufValue.uint32(-1)],
      ["x", ggufValue.int32(1.5)],
      ["x", { type: T.UINT8, value: 256 }],
      ["x", { type: T.UINT64, value: -1n }],
      ["x", { type: T.STRING, value: 3 }],
      ["x", { type: T.ARRAY, value: [[1]], subType: T.ARRAY }],
      ["x", { type: 13 as GgufMetadataEntry["type"], value: 1 }],
      ["general.alignment", ggufValue.uint32(48)],
    ];
    for (const [key, value] of entries) {
      expect(() => writeGguf({ metadata: { [key]: value }, tensors: [] }), key).toThrow(
        expect.objectContaining({ code: "INVALID_INPUT" }),
      );
    }
  });
});
