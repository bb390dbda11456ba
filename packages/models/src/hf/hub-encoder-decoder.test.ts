import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../load-model.ts";
import { type LocalHub, startLocalHub } from "./hub-server.test-helpers.ts";
import { writeRandomEncoderDecoderFolder } from "./write-random-encoder-decoder-folder.ts";

// A Marian (opus-mt) repository through a local hub: its tokenizer is source.spm, target.spm and
// vocab.json, which the download must fetch, and loadModel then reads as an encoder-decoder.
const root = mkdtempSync(join(tmpdir(), "tokenscope-hub-seq2seq-"));
const served = join(root, "served");
const hfVariables = [
  "HF_HUB_OFFLINE",
  "HF_HUB_CACHE",
  "HUGGINGFACE_HUB_CACHE",
  "HF_HOME",
  "HF_ENDPOINT",
  "HF_TOKEN",
];
const savedEnv = new Map(hfVariables.map((name) => [name, process.env[name]]));
let hub: LocalHub;

beforeAll(async () => {
  for (const name of hfVariables) delete process.env[name];
  await writeRandomEncoderDecoderFolder({
    architecture: "marian",
    layers: 1,
    hidden: 16,
    heads: 2,
    vocab: 200,
    seed: 4,
    out: served,
  });
  // What a real opus-mt repository also holds, and tokenscope must not download.
  writeFileSync(join(served, "pytorch_model.bin"), new Uint8Array(64));
  writeFileSync(join(served, "tf_model.h5"), new Uint8Array(64));
  hub = await startLocalHub({ "Helsinki-NLP/opus-mt-tiny": served });
});
afterAll(async () => {
  await hub.close();
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(root, { recursive: true, force: true });
});

describe("a Marian repository from the hub", () => {
  it("downloads its SentencePiece files and vocab.json, and loads as an encoder-decoder that translates", async () => {
    const cacheDir = join(root, "cache");
    const model = await loadModel("Helsinki-NLP/opus-mt-tiny", { cacheDir, hubUrl: hub.url, threads: 1 });
    try {
      expect(model.info).toMatchObject({ architecture: "marian", encoderDecoder: true, vocabSize: 200 });
      expect(model.info.revision).toBe(hub.commits.get("Helsinki-NLP/opus-mt-tiny"));
      const snapshot = join(
        cacheDir,
        "models--Helsinki-NLP--opus-mt-tiny",
        "snapshots",
        model.info.revision!,
      );
      expect(readdirSync(snapshot).sort()).toEqual([
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "source.spm",
        "special_tokens_map.json",
        "target.spm",
        "tokenizer_config.json",
        "vocab.json",
      ]);
      const { tokens } = await model.tokenize("the river");
      const generated = await model.generate!(
        tokens.map((token) => token.id!),
        { maxNewTokens: 4 },
      );
      expect(generated.ids.length).toBeGreaterThan(0);
      expect(generated.ids.every((id) => id >= 0 && id < 199)).toBe(true);
    } finally {
      await model.dispose?.();
    }
  });
});
