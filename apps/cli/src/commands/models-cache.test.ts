import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-models-cache-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("tokenscope models cache", () => {
  it("shows the cached weight files of TOKENSCOPE_WEIGHTS_DIR and deletes them with --clear", async () => {
    const folder = join(root, "weights");
    mkdirSync(folder, { recursive: true });
    const key = "a".repeat(64);
    writeFileSync(join(folder, `cache-${key}.json`), "{}");
    writeFileSync(join(folder, `cache-${key}-abc.bin`), new Uint8Array(1000));
    writeFileSync(join(folder, "weights-1-abc.bin"), new Uint8Array(10));
    const saved = process.env["TOKENSCOPE_WEIGHTS_DIR"];
    process.env["TOKENSCOPE_WEIGHTS_DIR"] = folder;
    try {
      const show = memoryIO();
      expect(await run(["models", "cache", "--json"], show), show.err()).toBe(0);
      expect(JSON.parse(show.out())).toMatchObject({ folder, models: 1, bytes: 1002, cleared: false });
      const clear = memoryIO();
      expect(await run(["models", "cache", "--clear"], clear), clear.err()).toBe(0);
      expect(clear.out()).toContain("deleted 1 model");
      expect(readdirSync(folder)).toEqual(["weights-1-abc.bin"]);
    } finally {
      if (saved === undefined) delete process.env["TOKENSCOPE_WEIGHTS_DIR"];
      else process.env["TOKENSCOPE_WEIGHTS_DIR"] = saved;
    }
  });
});
