import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel, writeRandomEncoderDecoderFolder } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attribute, type LanguageModel, registerBuiltins } from "./index.ts";

// Attribution on random Hugging Face encoder-decoder folders (BART, mBART, Marian, T5) loaded
// through loadModel: every family runs the shared encoder-decoder model, so these check what
// differs per family (graphs, tables, tokens) end to end, against direct forward passes.
const root = mkdtempSync(join(tmpdir(), "tokenscope-hf-encdec-attr-"));
const families = ["bart", "mbart", "marian", "t5"] as const;
const models = new Map<string, LanguageModel>();

beforeAll(async () => {
  registerBuiltins();
  for (const architecture of families) {
    const out = join(root, architecture);
    await writeRandomEncoderDecoderFolder({
      architecture,
      layers: 2,
      hidden: 32,
      heads: 4,
      vocab: 400,
      seed: 3,
      out,
    });
    models.set(architecture, await loadModel(out, { threads: 1 }));
  }
});
afterAll(async () => {
  for (const model of models.values()) await model.dispose?.();
  rmSync(root, { recursive: true, force: true });
});

/** p(target[t]) given the source, from one direct forward pass. */
async function probability(model: LanguageModel, source: number[], target: number[], t: number) {
  const { logits } = await model.forward!({
    inputs: { ids: [[...source, ...target.slice(0, t + 1)]], sourceLengths: [source.length] },
    positions: [[source.length - 1 + t]],
  });
  const row = Array.from(logits.data);
  const max = Math.max(...row);
  return Math.exp(row[target[t]!]! - max) / row.reduce((sum, x) => sum + Math.exp(x - max), 0);
}

describe.each(families)("attribute() on a random %s folder", (architecture) => {
  it("integrated gradients over the source embeddings is complete within 1% at 64 points (log-probability)", async () => {
    const model = models.get(architecture)!;
    const result = await attribute(model, "the river runs", {
      method: "integrated_gradients",
      // A zero baseline is nearly singular for LayerNorm / RMSNorm stacks (see the adaptive rule);
      // a token baseline is what these models are attributed against.
      parameters: { n_steps: 64, baseline: "unk" },
      attributedFunction: "logprob",
      target: "past the mill",
      keepRaw: true,
    });
    const sequence = result.sequences[0]!;
    const source = sequence.source.map((token) => token.id!);
    const target = sequence.target.map((token) => token.id!);
    const raw = sequence.rawSourceAttributions!;
    const [steps, columns, hidden] = raw.dims;
    expect(columns).toBe(source.length);
    const embeddings = await model.embed!([[...source, ...target]], { sourceLengths: [source.length] });
    for (let t = 0; t < steps; t++) {
      let sum = 0;
      for (let i = 0; i < columns * hidden; i++) sum += raw.data[t * columns * hidden + i]!;
      // The baseline: <unk> at every source position, the target as it is.
      const unk = model.info.specialTokens.unk!;
      const baselineRows = (
        await model.embed!([[...source.map(() => unk), ...target]], { sourceLengths: [source.length] })
      ).data as Float32Array;
      const at = async (data: Float32Array) => {
        const { logits } = await model.forward!({
          inputs: {
            embeddings: { data, dims: embeddings.dims },
            sourceLengths: [source.length],
          },
          positions: [[source.length - 1 + t]],
        });
        const row = Array.from(logits.data);
        const max = Math.max(...row);
        return row[target[t]!]! - max - Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      };
      const delta = (await at(Float32Array.from(embeddings.data))) - (await at(baselineRows));
      expect(Math.abs(delta), `step ${t}`).toBeGreaterThan(1e-4);
      expect(Math.abs(sum - delta), `step ${t}`).toBeLessThan(0.01 * Math.abs(delta));
    }
  });

  it("occlusion equals direct forward passes with the source token replaced (special tokens left alone)", async () => {
    const model = models.get(architecture)!;
    const result = await attribute(model, "in the spring", { method: "occlusion", target: "the fields" });
    const sequence = result.sequences[0]!;
    const source = sequence.source.map((token) => token.id!);
    const target = sequence.target.map((token) => token.id!);
    const baseline = model.info.specialTokens.unk!;
    for (let t = 0; t < target.length; t++) {
      const full = await probability(model, source, target, t);
      for (let s = 0; s < source.length; s++) {
        const occluded = source.map((id, index) => (index === s ? baseline : id));
        const direct = sequence.source[s]!.special
          ? 0
          : Math.abs(full - (await probability(model, occluded, target, t)));
        expect(sequence.sourceAttributions[t]![s], `step ${t}, source ${s}`).toBeCloseTo(direct, 6);
      }
    }
  });

  it("attention rows of the cross-attention sum to 1 over the source tokens", async () => {
    const model = models.get(architecture)!;
    const result = await attribute(model, "the market", {
      method: "attention",
      target: "opens",
      normalize: false,
    });
    for (const row of result.sequences[0]!.sourceAttributions) {
      expect(row.reduce((sum: number, value) => sum + value!, 0)).toBeCloseTo(1, 5);
    }
  });
});

describe("target languages and forced first tokens through attribute()", () => {
  it("mBART-50: targetLanguage forces its code first; an unknown one is refused with the codes", async () => {
    const model = models.get("mbart")!;
    const result = await attribute(model, "the river", {
      method: "attention",
      generation: { maxNewTokens: 3, targetLanguage: "fr" },
    });
    expect(result.sequences[0]!.target[0]!.id).toBe(model.info.languageCodes!["fr_XX"]);
    await expect(
      attribute(model, "the river", { method: "attention", generation: { targetLanguage: "ja" } }),
    ).rejects.toMatchObject({ code: "INVALID_PARAMETERS", hint: expect.stringContaining("fr_XX") });
  });

  it("BART: the config's forced_bos_token_id starts generated and forced targets", async () => {
    const model = models.get("bart")!;
    const forced = model.info.forcedBosTokenId!;
    expect(forced).toBeDefined();
    const generated = await attribute(model, "the river", {
      method: "attention",
      generation: { maxNewTokens: 2 },
    });
    expect(generated.sequences[0]!.target[0]!.id).toBe(forced);
    const given = await attribute(model, "the river", { method: "attention", target: "the mill" });
    expect(given.sequences[0]!.target[0]).toMatchObject({ id: forced, special: true });
    expect(given.sequences[0]!.targetText).toBe("the mill");
  });
});
