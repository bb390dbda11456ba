import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError } from "tokenscope";
import { afterAll, describe, expect, it } from "vitest";
import { type PromptStream, readPromptFile } from "./prompt-inputs.ts";

const folder = mkdtempSync(join(tmpdir(), "tokenscope-prompts-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function errorOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    if (isTokenscopeError(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("readPromptFile", () => {
  it("reads one prompt per line, and JSON lines", async () => {
    const plain = join(folder, "prompts.txt");
    writeFileSync(plain, "\uFEFFOne\n\nTwo\r\n");
    expect(await readPromptFile(plain)).toEqual([{ prompt: "One" }, { prompt: "Two" }]);
    const jsonl = join(folder, "prompts.jsonl");
    writeFileSync(jsonl, '{"prompt": "a\\nb", "target": "c"}\n');
    expect(await readPromptFile(jsonl)).toEqual([{ prompt: "a\nb", target: "c" }]);
  });

  it("refuses /dev/zero and a FIFO at once instead of reading or waiting forever", async () => {
    expect((await errorOf(readPromptFile("/dev/zero"))).message).toContain(
      "/dev/zero is a character device, not a regular file",
    );
    if (process.platform === "win32") return;
    const fifo = join(folder, "prompts.fifo");
    execFileSync("mkfifo", [fifo]);
    const error = await errorOf(readPromptFile(fifo));
    expect(error.code).toBe("IO_ERROR");
    expect(error.message).toContain("is a named pipe (FIFO), not a regular file");
  });

  it("refuses a file above limits.inputFileBytes before reading it", async () => {
    const huge = join(folder, "huge.txt");
    writeFileSync(huge, "");
    truncateSync(huge, 65 * 1024 * 1024); // sparse: no disk used
    const error = await errorOf(readPromptFile(huge));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain("above the limit of 67,108,864 bytes for a prompt file");
  });
});

/** A stand-in for standard input: the chunks, then the end. */
function stdinOf(chunks: (string | Uint8Array)[], isTTY = false): PromptStream {
  return {
    isTTY,
    async *[Symbol.asyncIterator]() {
      yield* chunks;
    },
  };
}

describe("readPromptFile - (standard input)", () => {
  it("reads piped prompts, one per line, split across chunks anywhere", async () => {
    const bytes = new TextEncoder().encode("Once upon\r\ncafé\n\n");
    const split = [bytes.slice(0, 3), bytes.slice(3, 13), bytes.slice(13)]; // "é" split over two chunks
    expect(await readPromptFile("-", { stdin: stdinOf(split) })).toEqual([
      { prompt: "Once upon" },
      { prompt: "café" },
    ]);
  });

  it("refuses a terminal, and an empty or closed standard input, with what to do", async () => {
    const tty = await errorOf(readPromptFile("-", { stdin: stdinOf([], true) }));
    expect(tty.code).toBe("INVALID_INPUT");
    expect(tty.message).toContain("standard input is a terminal");
    const empty = await errorOf(readPromptFile("-", { stdin: stdinOf([]) }));
    expect(empty.message).toContain("standard input holds no prompt");
    expect(empty.message).toContain("it was empty or closed");
  });

  it("stops an endless pipe at limits.inputFileBytes", async () => {
    const mib = new Uint8Array(1024 * 1024).fill(0x61);
    let yielded = 0;
    const endless: PromptStream = {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          yielded++;
          yield mib;
        }
      },
    };
    const error = await errorOf(readPromptFile("-", { stdin: endless }));
    expect(error.message).toContain("standard input: more than 67,108,864 bytes");
    expect(yielded).toBe(65);
  });

  it("reads the real standard input of a child process", () => {
    const script = `import { readPromptFile } from ${JSON.stringify(new URL("./prompt-inputs.ts", import.meta.url).href)};
      console.log(JSON.stringify(await readPromptFile("-")));`;
    const output = execFileSync(
      process.execPath,
      ["--conditions=@tokenscope/source", "--import", "tsx", "--input-type=module", "-e", script],
      { input: "first\nsecond\n", encoding: "utf8" },
    );
    expect(JSON.parse(output)).toEqual([{ prompt: "first" }, { prompt: "second" }]);
  });
});

describe("prompt files that are not UTF-8", () => {
  it("refuses invalid UTF-8 naming the byte offset and line (was: decoded to U+FFFD silently)", async () => {
    const file = join(folder, "latin1.txt");
    writeFileSync(file, Buffer.concat([Buffer.from("fine\ncaf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    const error = await errorOf(readPromptFile(file));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain(
      "latin1.txt is not UTF-8 text: byte 8 (line 2), 0xe9, does not start a valid UTF-8 sequence",
    );
  });
});

describe("the number of prompts", () => {
  it("refuses more than limits.prompts, naming the line", async () => {
    const file = join(folder, "many.txt");
    writeFileSync(file, "hi\n".repeat(100_001));
    const error = await errorOf(readPromptFile(file));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain("by line 100,001");
    expect(error.message).toContain("above tokenscope's limit of 100,000");
  });

  it("reads 100,000 prompts at once (no spread or split over a huge array)", async () => {
    const file = join(folder, "limit.txt");
    writeFileSync(file, "hi\n".repeat(100_000));
    expect(await readPromptFile(file)).toHaveLength(100_000);
  });
});
