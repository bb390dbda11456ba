import { describe, expect, it } from "vitest";
import { readSafetensors } from "./read.ts";

/** A safetensors file with `headerText` as its header and `dataBytes` zero bytes of data. */
function fileWithHeader(headerText: string, dataBytes = 0): Uint8Array {
  const header = new TextEncoder().encode(headerText);
  const bytes = new Uint8Array(8 + header.byteLength + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  bytes.set(header, 8);
  return bytes;
}

/** The message readSafetensors fails with: MODEL_LOAD_FAILED, never a RangeError (a bug's exit 1). */
function failure(bytes: Uint8Array): string {
  try {
    readSafetensors(bytes, { source: "model.safetensors" });
  } catch (error) {
    expect((error as { code?: string }).code, String(error)).toBe("MODEL_LOAD_FAILED");
    return (error as Error).message;
  }
  throw new Error("expected a failure");
}

const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

describe("readSafetensors: hostile headers", () => {
  const nested: [string, string][] = [
    ["shape", `{"w": {"dtype": "F32", "shape": ${deep(1_000_000)}, "data_offsets": [0, 4]}}`],
    ["dtype", `{"w": {"dtype": ${deep(1_000_000)}, "shape": [1], "data_offsets": [0, 4]}}`],
    [
      "__metadata__",
      `{"__metadata__": {"format": ${deep(1_000_000)}}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`,
    ],
  ];
  for (const [where, header] of nested) {
    it(`a ${where} nested a million levels deep is refused before parsing, naming the limit`, () => {
      const message = failure(fileWithHeader(header, 4));
      expect(message).toContain("the header nests arrays or objects more than 1,000 levels deep");
      expect(message).toContain("jsonDepth");
    });
  }

  it("a header nested within the limit still reads (a __metadata__ value 100 levels deep)", () => {
    const header = `{"__metadata__": {"format": "pt", "x": ${deep(100)}}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`;
    const file = readSafetensors(fileWithHeader(header, 4));
    expect(file.tensors.get("w")?.dims).toEqual([1]);
    expect(file.metadata["x"]).toBe(JSON.stringify(JSON.parse(deep(100))));
  });

  it("a 10 MB tensor name or dtype is quoted cut short: the message stays under 1 KB", () => {
    const huge = "n".repeat(10 * 1024 * 1024);
    const name = failure(
      fileWithHeader(`{"${huge}": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}}`, 4),
    );
    expect(name.length).toBeLessThan(1024);
    expect(name).toContain(
      `tensor "${"n".repeat(200)}"… (10,485,560 more characters) has unsupported dtype "F33"`,
    );
    const dtype = failure(
      fileWithHeader(`{"w": {"dtype": "${huge}", "shape": [1], "data_offsets": [0, 4]}}`, 4),
    );
    expect(dtype.length).toBeLessThan(1024);
    expect(dtype).toContain('tensor "w" has unsupported dtype "nnn');
  });

  it("shows a short shape or offsets, describes a long or nested one, and escapes control characters", () => {
    expect(
      failure(fileWithHeader('{"w": {"dtype": "F32", "shape": [1, -2], "data_offsets": [0, 4]}}', 4)),
    ).toContain('tensor "w" has an invalid shape [1, -2]');
    expect(
      failure(fileWithHeader('{"w": {"dtype": "F32", "shape": [[1]], "data_offsets": [0, 4]}}', 4)),
    ).toContain("has an invalid shape an array of 1 item");
    expect(
      failure(fileWithHeader('{"w": {"dtype": "F32", "shape": [1], "data_offsets": {"a": 1}}}', 4)),
    ).toContain("has invalid data_offsets an object with 1 key");
    const escaped = failure(
      fileWithHeader(
        '{"\\u001b]52;c;aGk=\\u0007\\u009b": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}}',
        4,
      ),
    );
    expect(escaped).toContain('tensor "␛]52;c;aGk=␇�" has unsupported dtype');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
    expect(escaped).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});
