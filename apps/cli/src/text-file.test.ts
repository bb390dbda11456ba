import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError } from "tokenscope";
import { afterAll, describe, expect, it } from "vitest";
import { firstInvalidUtf8, readTextFile } from "./text-file.ts";

const folder = mkdtempSync(join(tmpdir(), "tokenscope-text-file-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function errorOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isTokenscopeError(error)) throw new Error(`expected a TokenscopeError, got ${String(error)}`);
  return error;
}

describe("readTextFile", () => {
  it("reads UTF-8 text; a missing file is IO_ERROR and bad bytes INVALID_INPUT, each naming the file", async () => {
    const good = join(folder, "good.txt");
    writeFileSync(good, "caf\u00e9\n");
    expect(await readTextFile(good, "dataset", "Split it.")).toBe("caf\u00e9\n");
    const missing = await errorOf(readTextFile(join(folder, "missing.txt"), "dataset", "Split it."));
    expect(missing.code).toBe("IO_ERROR");
    expect(missing.message).toContain("missing.txt");
    const latin1 = join(folder, "latin1.txt");
    writeFileSync(latin1, Uint8Array.from([0x63, 0x61, 0x66, 0xe9]));
    const bad = await errorOf(readTextFile(latin1, "dataset", "Split it."));
    expect(bad.code).toBe("INVALID_INPUT");
    expect(bad.message).toContain("latin1.txt is not UTF-8 text: byte 3 (line 1), 0xe9");
  });

  it("finds the first bad byte as the WHATWG decoder judges", () => {
    const at = (...bytes: number[]) => firstInvalidUtf8(Uint8Array.from(bytes));
    expect(at(0x61, 0xc3, 0xa9)).toBe(-1); // "aé"
    expect(at(0xf0, 0x9f, 0x98, 0x80)).toBe(-1); // 😀
    expect(at(0x61, 0xc0, 0xaf)).toBe(1); // overlong "/"
    expect(at(0xed, 0xa0, 0x80)).toBe(0); // a surrogate
    expect(at(0xf4, 0x90, 0x80, 0x80)).toBe(0); // above U+10FFFF
    expect(at(0x61, 0x62, 0xe2, 0x82)).toBe(2); // cut short at the end
    expect(at(0x80)).toBe(0); // a lone continuation byte
  });
});
