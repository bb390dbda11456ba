import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel } from "@tokenscope/models/node";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

// `tokenscope attribute-context` (PECoRe) and the contrast flags of `attribute`, on stories260K.
const shared = fileURLToPath(new URL("../../../../../shared/", import.meta.url));
const stories = join(shared, "models", "stories260K");
const root = mkdtempSync(join(tmpdir(), "tokenscope-context-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const texts = [
  "--input-context-text",
  "Lily was sick yesterday.",
  "--input-current-text",
  "Her mom took her to the",
];

function logSoftmax(row: ArrayLike<number>): Float64Array {
  const values = Float64Array.from(row);
  const max = Math.max(...values);
  const lse = max + Math.log(values.reduce((sum, x) => sum + Math.exp(x - max), 0));
  return values.map((x) => x - lse);
}

describe("tokenscope attribute-context", () => {
  it("prints PECoRe's report, and --json holds CTI = KL(p(·|context+current) ‖ p(·|current)) per output token", async () => {
    const report = memoryIO();
    expect(
      await run(["attribute-context", "--model", stories, ...texts, "--max-new-tokens", "6"], report),
      report.err(),
    ).toBe(0);
    const out = report.out();
    expect(out).toContain('(CTI = "kl_divergence", CCI = "saliency" w/ "contrast_prob_diff" target)');
    expect(out).toContain("Input context:  Lily was sick yesterday.");
    expect(out).toContain("Input current: Her mom took her to the");
    expect(out).toMatch(/#1\.\nGenerated output \(CTI > \d\.\d{3}\): .*\{.+\}\(\d\.\d{3}\)/);
    expect(out).toMatch(/Input context \(CCI > -?\d\.\d{3}\): +Lily was sick yesterday/);

    const file = join(root, "context.json");
    const io = memoryIO();
    expect(
      await run(
        ["attribute-context", "--model", stories, ...texts, "--max-new-tokens", "6", "--json", "--out", file],
        io,
      ),
      io.err(),
    ).toBe(0);
    const json = JSON.parse(io.out());
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(json);
    const { cti, selected, cci } = json;
    expect(cti.tokens).toHaveLength(cti.ids.length);
    expect(cti.scores).toHaveLength(cti.ids.length);
    expect(selected.length).toBeGreaterThan(0);
    expect(cci.map((entry: { index: number }) => entry.index)).toEqual(selected);
    expect(cci[0].result.schemaVersion).toBe(3);
    expect(cci[0].result.sequences[0].contrast.sourceText).toBe("Her mom took her to the");

    // CTI independently: two forward passes per output token on the model itself.
    const model = await loadModel(stories);
    try {
      const idsOf = async (text: string) => (await model.tokenize(text)).tokens.map((token) => token.id!);
      const contextual = await idsOf("Lily was sick yesterday. Her mom took her to the");
      const contextless = await idsOf("Her mom took her to the");
      const output: number[] = cti.ids;
      for (let t = 0; t < output.length; t++) {
        const at = async (prefix: number[]) => {
          const { logits } = await model.forward!({
            inputs: { ids: [prefix] },
            positions: [[prefix.length - 1]],
          });
          return logSoftmax(logits.data);
        };
        const p = await at([...contextual, ...output.slice(0, t)]);
        const q = await at([...contextless, ...output.slice(0, t)]);
        let kl = 0;
        for (let i = 0; i < p.length; i++) kl += Math.exp(p[i]!) * (p[i]! - q[i]!);
        expect(cti.scores[t]).toBeCloseTo(kl, 5);
      }
      // Selection as documented: |score| ≥ mean + 1·std (sample), largest first.
      const scores: number[] = cti.scores;
      const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
      const std = Math.sqrt(scores.reduce((a, s) => a + (s - mean) ** 2, 0) / (scores.length - 1));
      const expected = scores
        .map((score, index) => ({ score, index }))
        .filter(({ score }) => Math.abs(score) >= mean + std)
        .sort((a, b) => Math.abs(b.score) - Math.abs(a.score))
        .map(({ index }) => index);
      expect(selected).toEqual(expected);
      expect(cti.threshold).toBeCloseTo(mean + std, 10);
    } finally {
      await model.dispose?.();
    }
  });

  it("--context-sensitivity-topk and a forced output; refusals before the model loads", async () => {
    const io = memoryIO();
    expect(
      await run(
        [
          "attribute-context",
          "--model",
          stories,
          ...texts,
          "--output-current-text",
          "park with her dog.",
          "--context-sensitivity-std-threshold",
          "0",
          "--context-sensitivity-topk",
          "2",
          "--json",
        ],
        io,
      ),
      io.err(),
    ).toBe(0);
    const json = JSON.parse(io.out());
    expect(json.outputCurrentText.trim()).toBe("park with her dog.");
    expect(json.selected).toHaveLength(2);
    const metric = memoryIO();
    expect(
      await run(
        ["attribute-context", "--model", stories, ...texts, "--context-sensitivity-metric", "probability"],
        metric,
      ),
    ).toBe(3);
    expect(metric.err()).toContain("does not compare two inputs");
    const method = memoryIO();
    expect(
      await run(
        ["attribute-context", "--model", stories, ...texts, "--attribution-method", "attention"],
        method,
      ),
    ).toBe(3);
    expect(method.err()).toContain('Method "attention" does not attribute contrastive functions');
  });
});

describe("tokenscope attribute --contrast-target", () => {
  it("records the contrast, aligned right; a contrastive function without a contrast names the flags", async () => {
    const io = memoryIO();
    expect(
      await run(
        [
          "attribute",
          "--model",
          stories,
          "Once upon a time",
          "--target",
          " there was a girl",
          "--contrast-target",
          " a boy",
          "--attributed-fn",
          "contrast_prob_diff",
          "--step-scores",
          "contrast_prob_diff,probability",
          "--json",
        ],
        io,
      ),
      io.err(),
    ).toBe(0);
    const sequence = JSON.parse(io.out()).sequences[0];
    const steps = sequence.target.length;
    const contrast = sequence.contrast.target.length;
    expect(sequence.contrast.targetText).toBe(" a boy");
    expect(sequence.contrast.alignment).toEqual(
      Array.from({ length: steps }, (_, t) => Math.max(0, contrast - (steps - t))),
    );
    expect(sequence.stepScores.contrast_prob_diff.every((value: number) => Number.isFinite(value))).toBe(
      true,
    );
    const missing = memoryIO();
    expect(
      await run(
        [
          "attribute",
          "--model",
          stories,
          "Once upon a time",
          "--target",
          " there",
          "--attributed-fn",
          "contrast_prob_diff",
        ],
        missing,
      ),
    ).toBe(3);
    expect(missing.err()).toContain("--contrast-target");
    const badPairs = memoryIO();
    expect(
      await run(
        [
          "attribute",
          "--model",
          stories,
          "Once",
          "--contrast-target",
          " a",
          "--contrast-alignments",
          "[[0]]",
        ],
        badPairs,
      ),
    ).toBe(2);
    expect(badPairs.err()).toContain("--contrast-alignments");
  });
});
