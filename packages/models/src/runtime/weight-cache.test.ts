import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LanguageModel, registerCoreBuiltins } from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRandomHfFolder } from "../hf/write-random-folder.ts";
import { loadModel } from "../load-model.ts";
import { clearWeightCache, weightCacheUsage } from "./weight-file-storage.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-weight-cache-"));
beforeAll(() => registerCoreBuiltins());
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ids = [1, 17, 200, 42, 99, 7];

async function logitsAndGradients(model: LanguageModel) {
  const { logits } = await model.forward!({ inputs: { ids: [ids] } });
  const { gradients } = await model.gradients!({
    inputs: { ids: [ids] },
    objective: { kind: "stepFunction", stepFunction: "logprob", positions: [4], targetIds: [ids[5]!] },
    wrt: { kind: "embeddings" },
  });
  const generated = await model.generate!(ids, { maxNewTokens: 4 });
  return { logits: Array.from(logits.data), gradients: Array.from(gradients.data), generated: generated.ids };
}

describe("the weight cache (weightCache: true)", () => {
  it("keeps the weight file of a disposed model, maps it on the next load without writing, and is keyed by the files", async () => {
    const { folder } = await writeRandomHfFolder({
      architecture: "llama",
      dtype: "BF16",
      layers: 2,
      hidden: 128,
      heads: 4,
      vocab: 300,
      seed: 8,
      out: join(root, "model"),
    });
    const weightsDir = join(root, "weights");
    const options = { mapWeights: true, weightCache: true, weightsDir, threads: 1 } as const;
    const first = await loadModel(folder, options);
    const expected = await logitsAndGradients(first);
    await first.dispose?.();
    // One model cached: its file and its index; nothing of the run's own is left.
    const files = readdirSync(weightsDir).sort();
    expect(files).toHaveLength(2);
    expect(files.every((name) => name.startsWith("cache-"))).toBe(true);
    const usage = weightCacheUsage(weightsDir);
    expect(usage.models).toBe(1);

    // The second load reads the cache: the same results, no file written beside it.
    const second = await loadModel(folder, options);
    const during = () => readdirSync(weightsDir).filter((name) => !name.startsWith("cache-"));
    const again = await logitsAndGradients(second);
    expect(during()).toEqual([]);
    expect(again).toEqual(expected);
    await second.dispose?.();
    expect(readdirSync(weightsDir).sort()).toEqual(files);

    // Another precision, or a touched weight file, is another key: a second cache, never the stale one.
    const wide = await loadModel(folder, { ...options, weightPrecision: "float32" });
    await wide.forward!({ inputs: { ids: [ids] } });
    await wide.dispose?.();
    expect(weightCacheUsage(weightsDir).models).toBe(2);
    const shard = readdirSync(folder).find((name) => name.endsWith(".safetensors"))!;
    const later = new Date(statSync(join(folder, shard)).mtimeMs + 5000);
    utimesSync(join(folder, shard), later, later);
    const touched = await loadModel(folder, options);
    expect((await touched.forward!({ inputs: { ids: [ids] } })).logits.data.length).toBe(ids.length * 300);
    await touched.dispose?.();
    expect(weightCacheUsage(weightsDir).models).toBe(3);

    expect(clearWeightCache(weightsDir)).toMatchObject({ models: 3, bytes: expect.any(Number) });
    expect(readdirSync(weightsDir)).toEqual([]);
  });

  it("without weightCache, deletes the weight file on dispose as before", async () => {
    const { folder } = await writeRandomHfFolder({
      architecture: "llama",
      layers: 1,
      hidden: 128,
      heads: 4,
      vocab: 300,
      seed: 9,
      out: join(root, "plain"),
    });
    const weightsDir = join(root, "plain-weights");
    const model = await loadModel(folder, { mapWeights: true, weightsDir });
    await model.forward!({ inputs: { ids: [ids] } });
    await model.dispose?.();
    expect(readdirSync(weightsDir)).toEqual([]);
  });
});
