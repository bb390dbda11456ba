import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError } from "@tokenscope/core";
import { afterAll, describe, expect, it } from "vitest";
import { loadSafetensorsFolder } from "../node-loaders.ts";
import { readSafetensors, safetensorToFloat32 } from "./read.ts";
import { readShardedSafetensors, SAFETENSORS_INDEX_FILE, writeShardedSafetensors } from "./sharded.ts";
import { type SafetensorsWriteTensor, writeSafetensors } from "./write.ts";

/** Values spanning many binades, signs, zero and exact small integers. */
const values = Array.from({ length: 64 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1) ** 1.7 * 10 ** ((i % 7) - 5));
values[0] = 0;
values[1] = 1 / 3;

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return isTokenscopeError(error) ? `${error.code}: ${error.message}` : `other: ${String(error)}`;
  }
  return "no error";
}

/** Builds a file by hand, independently of the writer. */
function handMade(header: unknown, data: Uint8Array, headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

describe("safetensors write → read", () => {
  const file = readSafetensors(
    writeSafetensors(
      [
        ["f32", { dtype: "F32", dims: [8, 8], data: values }],
        ["f16", { dtype: "F16", dims: [64], data: values }],
        ["bf16", { dtype: "BF16", dims: [4, 16], data: values }],
        ["f64", { dtype: "F64", dims: [64], data: values }],
        ["i64", { dtype: "I64", dims: [3], data: new BigInt64Array([-(2n ** 40n), 0n, 7n]) }],
        ["i32", { dtype: "I32", dims: [2], data: [-5, 123456] }],
      ],
      { format: "pt" },
    ),
  );

  it("keeps names, order, dims, dtypes and metadata", () => {
    expect([...file.tensors.keys()]).toEqual(["f32", "f16", "bf16", "f64", "i64", "i32"]);
    expect(file.tensors.get("bf16")!.dims).toEqual([4, 16]);
    expect(file.tensors.get("f16")!.dtype).toBe("F16");
    expect(file.metadata).toEqual({ format: "pt" });
  });

  it("is exact in F32 and F64 (F64 read back as the nearest fp32)", () => {
    expect(Array.from(safetensorToFloat32(file.tensors.get("f32")!))).toEqual(
      Array.from(Float32Array.from(values)),
    );
    expect(Array.from(safetensorToFloat32(file.tensors.get("f64")!))).toEqual(
      Array.from(Float32Array.from(values)),
    );
  });

  it("rounds F16 and BF16 to within half a unit in the last place", () => {
    const f16 = safetensorToFloat32(file.tensors.get("f16")!);
    const bf16 = safetensorToFloat32(file.tensors.get("bf16")!);
    values.forEach((value, i) => {
      const magnitude = Math.abs(value);
      // fp16: 10 mantissa bits, subnormal step 2^-24, so values under ~6e-8 flush to zero.
      const f16Tolerance = Math.max(magnitude * 2 ** -11, 2 ** -25);
      expect(Math.abs(f16[i]! - value), `f16 ${value}`).toBeLessThanOrEqual(f16Tolerance);
      expect(Math.abs(bf16[i]! - value), `bf16 ${value}`).toBeLessThanOrEqual(magnitude * 2 ** -8);
    });
    // Known encodings: 1/3 is 0x3555 in fp16 (0.333251953125) and 0x3EAB in bf16 (0.333984375).
    expect(f16[1]).toBe(0.333251953125);
    expect(bf16[1]).toBe(0.333984375);
    expect(Array.from(new Uint16Array(file.tensors.get("f16")!.bytes.slice(2, 4).buffer))).toEqual([0x3555]);
    expect(Array.from(new Uint16Array(file.tensors.get("bf16")!.bytes.slice(2, 4).buffer))).toEqual([0x3eab]);
  });

  it("keeps integers exactly", () => {
    expect(Array.from(safetensorToFloat32(file.tensors.get("i64")!))).toEqual([-(2 ** 40), 0, 7]);
    expect(Array.from(safetensorToFloat32(file.tensors.get("i32")!))).toEqual([-5, 123456]);
    expect(new BigInt64Array(file.tensors.get("i64")!.bytes.slice().buffer)[0]).toBe(-(2n ** 40n));
  });

  it("pads the header so every tensor starts 8-byte aligned", () => {
    const bytes = writeSafetensors([["x", { dtype: "F32", dims: [1], data: [1] }]]);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    expect(bytes.byteLength).toBe(8 + headerLength + 4);
  });
});

describe("readSafetensors on hand-made and bad files", () => {
  it("reads a file built by hand", () => {
    const data = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3f80, 0xbf00]).buffer);
    const file = readSafetensors(
      handMade(
        {
          a: { dtype: "F16", shape: [2], data_offsets: [0, 4] },
          b: { dtype: "BF16", shape: [1, 2], data_offsets: [4, 8] },
        },
        data,
      ),
    );
    expect(Array.from(safetensorToFloat32(file.tensors.get("a")!))).toEqual([1, -2]);
    expect(Array.from(safetensorToFloat32(file.tensors.get("b")!))).toEqual([1, -0.5]);
  });

  const f32 = (begin: number, end: number, shape = [2]) => ({
    dtype: "F32",
    shape,
    data_offsets: [begin, end],
  });
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ["a file shorter than 8 bytes", new Uint8Array(5), /too few for the 8-byte header length/],
    ["a header length past the end", handMade({}, new Uint8Array(0), "{}").fill(0xff, 0, 8), /does not fit/],
    ["a header that is not JSON", handMade(null, new Uint8Array(8), "{not json"), /not valid JSON/],
    ["a header that is an array", handMade([], new Uint8Array(0)), /not a JSON object/],
    [
      "an unknown dtype",
      handMade({ x: { ...f32(0, 8), dtype: "F8_E4M3" } }, new Uint8Array(8)),
      /unsupported dtype "F8_E4M3"/,
    ],
    [
      "a size that does not match the shape",
      handMade({ x: f32(0, 12) }, new Uint8Array(12)),
      /needs 8 bytes but has 12/,
    ],
    ["offsets past the data", handMade({ x: f32(0, 8) }, new Uint8Array(4)), /beyond the 4 data bytes/],
    [
      "overlapping tensors",
      handMade({ x: f32(0, 8), y: f32(4, 12) }, new Uint8Array(12)),
      /"x" and "y" overlap/,
    ],
    ["a bad shape", handMade({ x: f32(0, 8, [-2]) }, new Uint8Array(8)), /invalid shape/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`fails with MODEL_LOAD_FAILED on ${what}`, () => {
      const error = errorOf(() => readSafetensors(bytes, { source: "bad.safetensors" }));
      expect(error).toMatch(/^MODEL_LOAD_FAILED: bad\.safetensors: /);
      expect(error).toMatch(message);
    });
  }
});

describe("sharded safetensors", () => {
  const folder = mkdtempSync(join(tmpdir(), "tokenscope-safetensors-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const tensors: Array<[string, SafetensorsWriteTensor]> = [
    ["model.embed_tokens.weight", { dtype: "F32", dims: [4, 8], data: values.slice(0, 32) }],
    ["model.norm.weight", { dtype: "BF16", dims: [8], data: values.slice(32, 40) }],
    ["lm_head.weight", { dtype: "F16", dims: [4, 8], data: values.slice(32, 64) }],
  ];

  it("splits at the byte limit and reads a 2-shard folder back", async () => {
    const { shards, index } = writeShardedSafetensors(tensors, { maxShardBytes: 130 });
    expect([...shards.keys()]).toEqual([
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
    ]);
    expect(index.weight_map).toEqual({
      "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
      "model.norm.weight": "model-00002-of-00002.safetensors",
      "lm_head.weight": "model-00002-of-00002.safetensors",
    });
    expect(index.metadata).toEqual({ total_size: 128 + 16 + 64 });
    for (const [name, bytes] of shards) writeFileSync(join(folder, name), bytes);
    writeFileSync(join(folder, SAFETENSORS_INDEX_FILE), JSON.stringify(index));
    const read = await loadSafetensorsFolder(folder);
    expect([...read.tensors.keys()]).toEqual(tensors.map(([name]) => name));
    for (const [name, tensor] of tensors) {
      const written = readSafetensors(writeSafetensors([[name, tensor]])).tensors.get(name)!;
      expect(safetensorToFloat32(read.tensors.get(name)!)).toEqual(safetensorToFloat32(written));
    }
  });

  it("fails with MODEL_LOAD_FAILED when a shard lacks a listed tensor or the index is damaged", async () => {
    const { shards } = writeShardedSafetensors(tensors.slice(0, 1));
    const index = JSON.stringify({
      weight_map: { "model.embed_tokens.weight": "a.safetensors", extra: "a.safetensors" },
    });
    const load = async () => shards.values().next().value!;
    await expect(readShardedSafetensors(index, load)).rejects.toThrow(
      /tensor "extra" is listed in a.safetensors/,
    );
    await expect(readShardedSafetensors("{}", load)).rejects.toMatchObject({ code: "MODEL_LOAD_FAILED" });
    await expect(readShardedSafetensors('{"weight_map":{"x":"../x.safetensors"}}', load)).rejects.toThrow(
      /not a plain file name/,
    );
    await expect(loadSafetensorsFolder(join(folder, "missing"))).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
    });
  });
});
