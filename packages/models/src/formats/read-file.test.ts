import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError, type TokenscopeError } from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadHfConfig } from "../hf/load-folder.ts";
import { writeRandomHfFolder } from "../hf/write-random-folder.ts";
import { loadHfTokenizer } from "../tokenizers/hf-load-tokenizer.ts";
import { loadLlama2cCheckpoint, loadSafetensorsFile, loadSafetensorsFolder } from "./node-loaders.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-model-files-"));
const folder = join(root, "model");
beforeAll(async () => {
  await writeRandomHfFolder({
    architecture: "llama",
    layers: 1,
    hidden: 8,
    heads: 2,
    vocab: 300,
    seed: 1,
    out: folder,
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function errorOf(run: () => Promise<unknown>): Promise<TokenscopeError> {
  try {
    await run();
  } catch (error) {
    if (isTokenscopeError(error)) return error;
    throw error;
  }
  throw new Error("expected a TokenscopeError");
}

/** A copy of the model folder with `name` replaced by what `make` puts at the path. */
async function folderWith(name: string, make: (path: string) => void): Promise<string> {
  const copy = join(root, `${name}-${Math.random().toString(36).slice(2)}`);
  cpSync(folder, copy, { recursive: true });
  rmSync(join(copy, name));
  make(join(copy, name));
  return copy;
}

const sparse = (bytes: number) => (path: string) => {
  writeFileSync(path, "");
  truncateSync(path, bytes); // no disk used
};

describe.skipIf(process.platform === "win32")("model files are read within bounds", () => {
  it("a config.json that is a FIFO is refused at once instead of waiting for a writer", async () => {
    const model = await folderWith("config.json", (path) => execFileSync("mkfifo", [path]));
    const error = await errorOf(() => loadHfConfig(model));
    expect(error.code).toBe("IO_ERROR");
    expect(error.message).toContain("config.json is a named pipe (FIFO), not a regular file");
  });

  it("a tokenizer.json above limits.metadataFileBytes is refused before it is read", async () => {
    const model = await folderWith("tokenizer.json", sparse(65 * 1024 * 1024));
    const error = await errorOf(() => loadHfTokenizer(model));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain("above the limit of 67,108,864 bytes for a model metadata file");
    expect(error.details["limit"]).toBe("metadataFileBytes");
  });

  it("a safetensors index above the bound is refused; the shards it names are not read", async () => {
    const model = await folderWith("model.safetensors", sparse(0));
    writeFileSync(join(model, "model.safetensors.index.json"), "");
    truncateSync(join(model, "model.safetensors.index.json"), 65 * 1024 * 1024);
    expect((await errorOf(() => loadSafetensorsFolder(model))).details["limit"]).toBe("metadataFileBytes");
  });

  it("weights at /dev/zero are refused at once instead of read without end", async () => {
    const started = performance.now();
    expect((await errorOf(() => loadSafetensorsFile("/dev/zero"))).message).toContain(
      "/dev/zero is a character device, not a regular file",
    );
    expect((await errorOf(() => loadLlama2cCheckpoint("/dev/zero"))).code).toBe("IO_ERROR");
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("a missing metadata file is still just absent", async () => {
    const model = await folderWith("tokenizer_config.json", () => {});
    await expect(loadHfTokenizer(model)).resolves.toBeDefined();
  });
});
