import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError } from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalHub, startLocalHub } from "./hf/hub-server.test-helpers.ts";
import { writeRandomHfFolder } from "./hf/write-random-folder.ts";
import { loadDecoderWeights } from "./load-model.ts";

// How loadDecoderWeights reads a reference that names no existing path: a hub id (bare names such
// as `gpt2` included, as the hub accepts them) or a mistyped path.
const root = mkdtempSync(join(tmpdir(), "tokenscope-ref-"));
let hub: LocalHub;

beforeAll(async () => {
  const served = join(root, "served");
  await writeRandomHfFolder({
    architecture: "gpt2",
    layers: 1,
    hidden: 16,
    heads: 2,
    vocab: 300,
    seed: 3,
    out: served,
  });
  hub = await startLocalHub({ gpt2: served });
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

async function failure(ref: string): Promise<Error> {
  try {
    await loadDecoderWeights(ref, { hubUrl: hub.url, cacheDir: join(root, "cache"), offline: false });
  } catch (error) {
    if (isTokenscopeError(error)) return error;
    throw error;
  }
  throw new Error(`expected ${ref} to fail`);
}

describe("model references", () => {
  it("loads a bare hub id such as gpt2 from the hub (was: no such file or folder)", async () => {
    const source = await loadDecoderWeights("gpt2", { hubUrl: hub.url, cacheDir: join(root, "cache") });
    expect(source.weights.config).toMatchObject({ architecture: "gpt2", numLayers: 1, hiddenSize: 16 });
    expect(hub.requests.some((request) => request.includes("/api/models/gpt2/revision/main"))).toBe(true);
  });

  it.each(["./gpt2", "missing.gguf", "stories.bin", "a/b/c", "../model", "-x", "a--b"])(
    "keeps %s a missing path, not a hub id",
    async (ref) => {
      expect((await failure(ref)).message).toContain("no such file or folder");
    },
  );
});
