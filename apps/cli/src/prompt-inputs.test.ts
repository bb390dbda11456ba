import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError } from "tokenscope";
import { afterAll, describe, expect, it } from "vitest";
import { readPromptFile } from "./prompt-inputs.ts";

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
