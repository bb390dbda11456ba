import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { constants, deflateRawSync, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../bin.ts", import.meta.url));
const measure = fileURLToPath(new URL("./view-measure.test-helpers.ts", import.meta.url));
const folder = mkdtempSync(join(tmpdir(), "tokenscope-view-bounds-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const nodeArgs = ["--conditions=@tokenscope/source", "--import", "tsx"];

/** `tokenscope <args>` as a child process, killed after 20 s should it hang (the defect). */
function tokenscope(args: string[]) {
  return spawnSync(process.execPath, [...nodeArgs, bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "" },
    timeout: 20_000,
  });
}

/**
 * A gzip member inflating to `mebibytes` MiB of zeros from about 1 KB per MiB, built without
 * holding the output: one fully flushed deflate segment (no references before it) repeated. Its
 * trailer is wrong on purpose; a reader must stop long before it.
 */
function gzipBomb(mebibytes: number): Buffer {
  const segment = deflateRawSync(Buffer.alloc(MiB), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  const last = deflateRawSync(Buffer.alloc(0));
  return Buffer.concat([header, ...new Array<Buffer>(mebibytes).fill(segment), last, Buffer.alloc(8)]);
}

describe("tokenscope view reads untrusted files within bounds", () => {
  it("refuses a 600 KB gzip bomb within 1 s and 100 MB of memory", () => {
    const bomb = join(folder, "bomb.json.gz");
    writeFileSync(bomb, gzipBomb(600));
    const child = spawnSync(process.execPath, [...nodeArgs, measure, bomb], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const measured = JSON.parse(child.stdout) as {
      code: number;
      stderr: string;
      elapsedMs: number;
      peakGrowthBytes: number;
    };
    expect(measured.code).toBe(3);
    expect(measured.stderr).toContain("INVALID_INPUT");
    expect(measured.stderr).toContain("decompression bomb");
    expect(measured.stderr).toContain("--max-size");
    expect(measured.elapsedMs).toBeLessThan(1000);
    expect(measured.peakGrowthBytes).toBeLessThan(100 * MiB);
  });

  it("--max-size replaces the bound, raised or lowered", () => {
    const bomb = join(folder, "bomb-raised.json.gz");
    writeFileSync(bomb, gzipBomb(60));
    const raised = tokenscope(["view", bomb, "--max-size", "40000000"]);
    expect(raised.status, raised.stderr).toBe(3);
    expect(raised.stderr).toContain("expands past the limit of 40,000,000 bytes");
    const small = join(folder, "small.json.gz");
    writeFileSync(small, gzipSync(JSON.stringify({ schemaVersion: 1 })));
    const lowered = tokenscope(["view", small, "--max-size", "10"]);
    expect(lowered.status).toBe(3);
    expect(lowered.stderr).toMatch(/the file is \d+ bytes, above the limit of 10 bytes for a result file/);
  });

  it("refuses /dev/zero at once with exit 4 instead of reading it without end", () => {
    const started = performance.now();
    const result = tokenscope(["view", "/dev/zero"]);
    expect(result.signal).toBeNull();
    expect(result.status).toBe(4);
    expect(result.stderr).toContain("/dev/zero is a character device, not a regular file");
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it.skipIf(process.platform === "win32")(
    "refuses a FIFO with exit 4 instead of waiting for a writer",
    () => {
      const fifo = join(folder, "pipe.json");
      execFileSync("mkfifo", [fifo]);
      const result = tokenscope(["view", fifo]);
      expect(result.signal).toBeNull();
      expect(result.status).toBe(4);
      expect(result.stderr).toContain("is a named pipe (FIFO), not a regular file");
    },
  );

  it("refuses a file above the bound from its size, before reading it", () => {
    // Sparse: 300 MiB long without using the disk.
    const huge = join(folder, "huge.json");
    writeFileSync(huge, "");
    truncateSync(huge, 300 * MiB);
    const result = tokenscope(["view", huge]);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain("the file is 314,572,800 bytes, above the limit of 268,435,456 bytes");
  });

  it("says a truncated gzip is truncated (exit 3), not that it is not UTF-8", () => {
    const compressed = gzipSync(JSON.stringify({ schemaVersion: 1, padding: "x".repeat(5000) }));
    const truncated = join(folder, "truncated.json.gz");
    writeFileSync(truncated, compressed.subarray(0, compressed.length - 12));
    const result = tokenscope(["view", truncated]);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain("INVALID_RESULT");
    expect(result.stderr).toContain("the gzip data is truncated");
  });
});
