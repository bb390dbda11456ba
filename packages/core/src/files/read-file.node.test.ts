import { execFileSync } from "node:child_process";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, deflateRawSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ErrorCode, isTokenscopeError, type TokenscopeError } from "../errors/index.ts";
import { type BoundedReadOptions, readFileBounded } from "./read-file.node.ts";

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "tokenscope-read-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<TokenscopeError> {
  try {
    await promise;
  } catch (error) {
    if (isTokenscopeError(error, code)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

const MiB = 1024 * 1024;
const resultBounds: BoundedReadOptions = {
  what: "result file",
  fileBytes: { limit: "resultFileBytes" },
  gunzip: { limit: "resultTextBytes", ratioGuard: { floorBytes: 32 * MiB, maxRatio: 50 } },
  raiseHint: "Raise maxBytes.",
};

/**
 * A gzip member inflating to `mebibytes` MiB of zeros from about 1 KB per MiB, built without
 * holding the output: one fully flushed deflate segment (no references before it) repeated. The
 * trailer's checksum is wrong on purpose; a reader must stop long before it.
 */
function gzipBomb(mebibytes: number): Buffer {
  const segment = deflateRawSync(Buffer.alloc(MiB), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  const last = deflateRawSync(Buffer.alloc(0));
  return Buffer.concat([header, ...new Array<Buffer>(mebibytes).fill(segment), last, Buffer.alloc(8)]);
}

describe("readFileBounded", () => {
  it("reads a regular file, and gunzips gzip input", async () => {
    const path = join(folder, "plain.txt");
    await writeFile(path, "hello");
    expect(new TextDecoder().decode(await readFileBounded(path, resultBounds))).toBe("hello");
    const gz = join(folder, "text.gz");
    await writeFile(gz, gzipSync("hello, gzip"));
    expect(new TextDecoder().decode(await readFileBounded(gz, resultBounds))).toBe("hello, gzip");
    // Without `gunzip`, the bytes on disk.
    const raw = await readFileBounded(gz, { what: "file", fileBytes: { limit: "inputFileBytes" } });
    expect([raw[0], raw[1]]).toEqual([0x1f, 0x8b]);
  });

  it("refuses a missing file with IO_ERROR naming the path and the caller's hint", async () => {
    const path = join(folder, "nope.json");
    const error = await rejection(
      readFileBounded(path, { ...resultBounds, missingHint: "Look again." }),
      "IO_ERROR",
    );
    expect(error.message).toBe(`No result file at ${path}. Look again.`);
    expect(error.details["code"]).toBe("ENOENT");
  });

  it("refuses /dev/zero at once instead of reading without end", async () => {
    const started = performance.now();
    const error = await rejection(readFileBounded("/dev/zero", resultBounds), "IO_ERROR");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.message).toContain("/dev/zero is a character device, not a regular file");
  });

  it.skipIf(process.platform === "win32")("refuses a FIFO without waiting for a writer", async () => {
    const fifo = join(folder, "pipe.json");
    execFileSync("mkfifo", [fifo]);
    const error = await rejection(readFileBounded(fifo, resultBounds), "IO_ERROR");
    expect(error.message).toContain("is a named pipe (FIFO), not a regular file");
    expect(error.details["kind"]).toBe("a named pipe (FIFO)");
  });

  it("refuses a folder", async () => {
    const error = await rejection(readFileBounded(folder, resultBounds), "IO_ERROR");
    expect(error.message).toContain(`${folder} is a folder, not a regular file`);
  });

  it("refuses a file above the bound from its size, without reading it", async () => {
    // Sparse: 300 MiB long, no disk used; reading it would take seconds and 300 MiB of memory.
    const path = join(folder, "huge.json");
    const handle = await open(path, "w");
    await handle.truncate(300 * MiB);
    await handle.close();
    const started = performance.now();
    const before = process.memoryUsage().rss;
    const error = await rejection(readFileBounded(path, resultBounds), "INVALID_INPUT");
    expect(performance.now() - started).toBeLessThan(500);
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * MiB);
    expect(error.message).toContain("the file is 314,572,800 bytes, above the limit of 268,435,456 bytes");
    expect(error.message).toContain("Raise maxBytes.");
    expect(error.details).toMatchObject({ limit: "resultFileBytes", max: 268_435_456 });
    // Raised by the caller, the same file is read.
    const small = { what: "file", fileBytes: { limit: "inputFileBytes", maxBytes: 4 } } as const;
    await writeFile(join(folder, "five.txt"), "12345");
    await rejection(readFileBounded(join(folder, "five.txt"), small), "INVALID_INPUT");
  });

  it.skipIf(process.platform !== "linux")(
    "checks the bound while reading: a file larger than its size says",
    async () => {
      // /proc files report size 0 and then deliver content, as a file growing during the read would.
      const error = await rejection(
        readFileBounded("/proc/self/status", {
          what: "file",
          fileBytes: { limit: "inputFileBytes", maxBytes: 16 },
        }),
        "INVALID_INPUT",
      );
      expect(error.message).toContain("the file grew while being read");
      const whole = await readFileBounded("/proc/self/status", {
        what: "file",
        fileBytes: { limit: "inputFileBytes" },
      });
      expect(new TextDecoder().decode(whole)).toContain("Name:");
    },
  );

  it("stops a gzip bomb after the ratio guard's cap, within a second", async () => {
    const bomb = gzipBomb(600);
    expect(bomb.length).toBeLessThan(700_000);
    const path = join(folder, "bomb.json.gz");
    await writeFile(path, bomb);
    const started = performance.now();
    const error = await rejection(readFileBounded(path, resultBounds), "INVALID_INPUT");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.message).toMatch(
      /refused to decompress, it expands past 33,554,432 bytes, more than 50 times/,
    );
    expect(error.message).toContain("decompression bomb");
    expect(error.details).toMatchObject({ limit: "resultTextBytes", max: 32 * MiB });
  });

  it("bounds gzip output by its limit when no ratio guard applies", async () => {
    const path = join(folder, "bomb-small.gz");
    await writeFile(path, gzipBomb(3));
    const options = {
      what: "file",
      fileBytes: { limit: "resultFileBytes" },
      gunzip: { limit: "resultTextBytes", maxBytes: 2 * MiB },
    } as const;
    const error = await rejection(readFileBounded(path, options), "INVALID_INPUT");
    expect(error.message).toContain("expands past the limit of 2,097,152 bytes");
  });

  it("reports a truncated or damaged gzip as such", async () => {
    const compressed = gzipSync(Buffer.from("x".repeat(10_000) + Math.random()));
    const truncated = join(folder, "truncated.gz");
    await writeFile(truncated, compressed.subarray(0, compressed.length >> 1));
    const error = await rejection(readFileBounded(truncated, resultBounds), "INVALID_INPUT");
    expect(error.details).toMatchObject({ gzip: "damaged", problem: "the gzip data is truncated" });
    const damaged = Buffer.from(compressed);
    damaged[damaged.length - 6]! ^= 0xff; // the CRC
    const crc = join(folder, "crc.gz");
    await writeFile(crc, damaged);
    const crcError = await rejection(readFileBounded(crc, resultBounds), "INVALID_INPUT");
    expect(crcError.details["problem"]).toMatch(/damaged \(incorrect data check\)/);
  });

  it("stops when the signal fires", async () => {
    const path = join(folder, "abort.gz");
    await writeFile(path, gzipBomb(20));
    const controller = new AbortController();
    controller.abort();
    await rejection(readFileBounded(path, { ...resultBounds, signal: controller.signal }), "ABORTED");
    await rejection(
      readFileBounded(join(folder, "plain.txt"), { ...resultBounds, signal: controller.signal }),
      "ABORTED",
    );
  });
});
