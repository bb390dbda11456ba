import { describe, expect, it } from "vitest";
import { bf16BitsToFloat32, f16BitsToFloat32, numbersToBf16Bits, numbersToF16Bits } from "./half-floats.ts";
import { lazyWeightTensor } from "./lazy-tensor.ts";
import type { WeightTensor } from "./types.ts";
import { createWeightFile, type WeightFileStorage } from "./weight-file.ts";

/** Storage in memory, recording every append. */
function memoryStorage(): WeightFileStorage & { bytes: () => Uint8Array; removed: () => boolean } {
  let data = new Uint8Array(0);
  let removed = false;
  return {
    folder: "/nowhere",
    location: "weights.bin",
    append(bytes) {
      const offset = data.byteLength;
      const grown = new Uint8Array(offset + bytes.byteLength);
      grown.set(data);
      grown.set(bytes, offset);
      data = grown;
      return offset;
    },
    read: (offset, length) => data.slice(offset, offset + length),
    remove: async () => {
      removed = true;
    },
    bytes: () => data,
    removed: () => removed,
  };
}

const matrix = (rows: number, cols: number, seed: number): WeightTensor => ({
  dims: [rows, cols],
  data: Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(seed + i * 0.37)),
});

function floatsAt(storage: ReturnType<typeof memoryStorage>, offset: number, length: number): number[] {
  return Array.from(new Float32Array(storage.bytes().slice(offset, offset + length).buffer));
}

describe("createWeightFile", () => {
  it("writes each matrix once per layout, aligned, transposed on request, and drops its values", () => {
    const a = matrix(3, 5, 1);
    const b = matrix(4, 2, 2);
    const tensors = new Map([
      ["a", a],
      ["b", b],
      ["bias", { dims: [5], data: new Float32Array(5).fill(1) }],
    ]);
    const storage = memoryStorage();
    const file = createWeightFile(tensors, storage, { minBytes: 0 });
    const stored = file.place("a", "stored")!;
    expect(floatsAt(storage, stored.offset, stored.length)).toEqual(Array.from(a.data));
    expect(file.place("a", "stored")).toBe(stored);
    const transposed = file.place("b", "transposed")!;
    expect(transposed.offset % 64).toBe(0);
    const expected: number[] = [];
    for (let c = 0; c < 2; c++) for (let r = 0; r < 4; r++) expected.push(b.data[r * 2 + c]!);
    expect(floatsAt(storage, transposed.offset, transposed.length)).toEqual(expected);
    expect(file.place("bias", "stored")).toBeUndefined();
    expect(tensors.get("a")!.data.length).toBe(0);
    expect(tensors.get("a")!.dims).toEqual([3, 5]);
    expect(file.isFiled("a") && file.isFiled("b") && !file.isFiled("bias")).toBe(true);
    // A layout asked for after the values were dropped is read back from the file.
    const again = file.place("b", "stored")!;
    expect(floatsAt(storage, again.offset, again.length)).toEqual(Array.from(b.data));
    const aT = file.place("a", "transposed")!;
    const aExpected: number[] = [];
    for (let c = 0; c < 5; c++) for (let r = 0; r < 3; r++) aExpected.push(a.data[r * 5 + c]!);
    expect(floatsAt(storage, aT.offset, aT.length)).toEqual(aExpected);
    expect(file.bytes()).toBe(storage.bytes().byteLength);
  });

  it("reads one row of a matrix back from the file, placing it first", () => {
    const table = matrix(6, 4, 5);
    const tensors = new Map([["table", table]]);
    const file = createWeightFile(tensors, memoryStorage(), { minBytes: 0 });
    expect(Array.from(file.row("table", 3)!)).toEqual(Array.from(table.data.subarray(12, 16)));
    expect(file.isFiled("table")).toBe(true);
    expect(Array.from(file.row("table", 0)!)).toEqual(Array.from(table.data.subarray(0, 4)));
    const small = createWeightFile(new Map([["table", matrix(6, 4, 5)]]), memoryStorage(), {
      minBytes: 1024,
    });
    expect(small.row("table", 1)).toBeUndefined();
  });

  it("keeps the values of the tensors JS reads, and matrices under the threshold inline", async () => {
    const table = matrix(8, 4, 3);
    const small = matrix(2, 2, 4);
    const tensors = new Map([
      ["table", table],
      ["small", small],
    ]);
    const storage = memoryStorage();
    const file = createWeightFile(tensors, storage, { keep: ["table"], minBytes: 64 });
    expect(file.place("table", "transposed")).toBeDefined();
    expect(tensors.get("table")!.data).toBe(table.data);
    expect(file.isFiled("table")).toBe(false);
    expect(file.place("small", "stored")).toBeUndefined();
    expect(tensors.get("small")!.data).toBe(small.data);
    await file.remove();
    expect(storage.removed()).toBe(true);
  });

  it.each([
    ["float16", numbersToF16Bits, f16BitsToFloat32],
    ["bfloat16", numbersToBf16Bits, bf16BitsToFloat32],
  ] as const)(
    "files a 16-bit checkpoint matrix (%s) in 16 bits, unless fp32 is asked for",
    (dataType, encode, decode) => {
      const rows = 3;
      const cols = 5;
      const bits = encode(Array.from({ length: rows * cols }, (_, i) => Math.cos(i * 0.7) * 3));
      const values = decode(bits);
      const half = () =>
        lazyWeightTensor([rows, cols], () => decode(bits), { dataType, bits: () => bits.slice() });
      const storage = memoryStorage();
      const file = createWeightFile(new Map([["w", half()]]), storage, { minBytes: 0 });
      const stored = file.place("w", "stored")!;
      expect(stored).toMatchObject({ dataType, length: rows * cols * 2 });
      const at = (placed: { offset: number; length: number }) =>
        Array.from(
          new Uint16Array(storage.bytes().slice(placed.offset, placed.offset + placed.length).buffer),
        );
      expect(at(stored)).toEqual(Array.from(bits));
      // Another layout, asked for once the values are gone, is read back in 16 bits and transposed.
      const transposed = file.place("w", "transposed")!;
      const expected: number[] = [];
      for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) expected.push(bits[r * cols + c]!);
      expect(at(transposed)).toEqual(expected);
      expect(Array.from(file.row("w", 2)!)).toEqual(Array.from(values.subarray(2 * cols, 3 * cols)));

      const wide = createWeightFile(new Map([["w", half()]]), memoryStorage(), {
        minBytes: 0,
        precision: "float32",
      });
      expect(wide.place("w", "stored")).toMatchObject({ dataType: "float32", length: rows * cols * 4 });
      expect(Array.from(wide.row("w", 1)!)).toEqual(Array.from(values.subarray(cols, 2 * cols)));
    },
  );
});
