import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerCoreBuiltins } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { loadModel } from "../load-model.ts";
import { referenceGemmaForward } from "../testing/reference-gemma.ts";
import { referenceGpt2Forward } from "../testing/reference-gpt2.ts";
import { type ReferenceLogits, referenceForward } from "../testing/reference-llama.ts";
import { referenceNeoxForward } from "../testing/reference-neox.ts";
import { referenceOptForward } from "../testing/reference-opt.ts";
import { referenceQwenForward } from "../testing/reference-qwen.ts";
import type { DecoderWeights } from "../weights/types.ts";
import { loadHfFolder } from "./load-folder.ts";
import { writeRandomHfFolder } from "./write-random-folder.ts";

const references: Record<string, (weights: DecoderWeights, ids: readonly number[]) => ReferenceLogits> = {
  llama: referenceForward,
  mistral: referenceForward,
  qwen2: referenceQwenForward,
  qwen3: referenceQwenForward,
  gemma: referenceGemmaForward,
  gemma2: referenceGemmaForward,
  phi3: referenceForward,
  gpt2: referenceGpt2Forward,
  gpt_neox: referenceNeoxForward,
  opt: referenceOptForward,
};

const folder = mkdtempSync(join(tmpdir(), "tokenscope-random-reference-"));

describe("random Hugging Face folders against the independent references", () => {
  registerCoreBuiltins();
  for (const architecture of Object.keys(references)) {
    it(`${architecture}: a folder written by writeRandomHfFolder loads back and its logits match the reference within 1e-4`, async () => {
      const out = join(folder, architecture);
      const gqa = !["gpt2", "gpt_neox", "opt"].includes(architecture);
      await writeRandomHfFolder({
        architecture,
        layers: 2,
        hidden: 32,
        heads: 4,
        ...(gqa ? { kvHeads: 2 } : {}),
        vocab: 300,
        seed: 5,
        out,
      });
      await compareWithReference(out, references[architecture]!);
    });
  }

  it("opt-350m's shape (post-norm, 16-wide token embeddings of a 32-wide model) matches the reference", async () => {
    const out = join(folder, "opt-350m");
    await writeRandomHfFolder({
      architecture: "opt",
      layers: 2,
      hidden: 32,
      heads: 4,
      vocab: 300,
      seed: 6,
      wordEmbeddingSize: 16,
      layerNormBefore: false,
      out,
    });
    const model = await compareWithReference(out, referenceOptForward);
    expect(model.info).toMatchObject({ hiddenSize: 32, embeddingSize: 16 });
  });
});

/** Loads `out` and checks its logits on a sentence against `reference` within 1e-4; returns its info. */
async function compareWithReference(
  out: string,
  reference: (weights: DecoderWeights, ids: readonly number[]) => ReferenceLogits,
) {
  const { weights } = await loadHfFolder(out);
  const model = await loadModel(out);
  const ids = (await model.tokenize("the cat sat on the mat.")).tokens.map((token) => token.id!);
  const { logits } = await model.forward!({ inputs: { ids: [ids] } });
  const expected = reference(weights, ids);
  let worst = 0;
  for (let i = 0; i < logits.data.length; i++)
    worst = Math.max(worst, Math.abs(logits.data[i]! - expected.data[i]!));
  expect(worst).toBeLessThan(1e-4);
  const embedded = await model.embed!([ids]);
  expect(embedded.dims).toEqual([
    1,
    ids.length,
    weights.config.wordEmbeddingSize ?? weights.config.hiddenSize,
  ]);
  await model.dispose?.();
  return { info: model.info };
}
