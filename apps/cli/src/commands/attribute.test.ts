import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { methodRegistry } from "@tokenscope/core";
import { registerBuiltins } from "tokenscope";
import { describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));
const folder = mkdtempSync(join(tmpdir(), "tokenscope-attribute-cli-"));

interface SavedSequence {
  source: { id: number | null; text: string }[];
  target: { id: number | null; text: string }[];
  sourceAttributions: (number | null)[][];
  targetAttributions: (number | null)[][] | null;
  stepScores: Record<string, (number | null)[]>;
}

async function attributeJson(args: string[]) {
  const io = memoryIO();
  const code = await run(["attribute", "--model", stories, "Once upon a time", ...args, "--json"], io);
  expect(code, io.err()).toBe(0);
  return JSON.parse(io.out()) as { info: { method: { id: string } }; sequences: SavedSequence[] };
}

describe("tokenscope attribute", () => {
  it("prints the saved-result JSON the issue specifies, with target-prefix cells empty where they must be", async () => {
    const result = await attributeJson([
      "--max-new-tokens",
      "4",
      "--attribute-target",
      "--step-scores",
      "probability,entropy",
    ]);
    const [sequence] = result.sequences;
    expect(sequence!.source.map((token) => token.id)).toEqual([1, 403, 407, 261, 378]);
    expect(sequence!.target.map((token) => token.text).join("")).toBe(", there was a");
    expect(sequence!.sourceAttributions).toHaveLength(4);
    for (const row of sequence!.sourceAttributions) expect(row).toHaveLength(5);
    sequence!.targetAttributions!.forEach((row, step) => {
      row.forEach((cell, column) => {
        if (column >= step) expect(cell).toBeNull();
        else expect(cell).not.toBeNull();
      });
    });
    // Per-step normalisation: |source| + |target prefix| sums to 1 in every row.
    sequence!.sourceAttributions.forEach((row, step) => {
      const total = [...row, ...sequence!.targetAttributions![step]!].reduce<number>(
        (sum, cell) => sum + Math.abs(cell ?? 0),
        0,
      );
      expect(total).toBeCloseTo(1, 5);
    });
    expect(sequence!.stepScores["probability"]).toHaveLength(4);
    expect(sequence!.stepScores["entropy"]).toHaveLength(4);
  });

  it("runs every gradient method end to end on a forced target", async () => {
    for (const method of ["saliency", "input_x_gradient", "integrated_gradients"]) {
      const extra = method === "integrated_gradients" ? ["--n-steps", "8"] : [];
      const result = await attributeJson(["--method", method, "--target", " there was", ...extra]);
      expect(result.info.method.id).toBe(method);
      expect(result.sequences[0]!.target.map((token) => token.text)).toEqual([" there", " was"]);
      expect(result.sequences[0]!.sourceAttributions.flat().every((cell) => Number.isFinite(cell))).toBe(
        true,
      );
    }
  });

  it("runs every registered method end to end on stories260K", async () => {
    registerBuiltins();
    // Fewer points and samples than the defaults: this checks the wiring, other tests the numbers.
    const cheaper: Record<string, string[]> = {
      integrated_gradients: ["--n-steps", "4"],
      sequential_integrated_gradients: ["--param", "n_steps=4"],
      layer_integrated_gradients: ["--param", "n_steps=4", "--param", "layer=2"],
      gradient_shap: ["--param", "n_samples=2"],
      smooth_grad: ["--param", "nt_samples=2"],
      lime: ["--param", "n_samples=16"],
      kernel_shap: ["--param", "samples=16"],
      shapley_value_sampling: ["--param", "n_samples=4"],
      reagent: ["--param", "max_probe_steps=20"],
    };
    const ids = methodRegistry.list().map((method) => method.id);
    expect(ids.length).toBeGreaterThanOrEqual(20);
    for (const id of ids) {
      const result = await attributeJson(["--method", id, "--target", " there was", ...(cheaper[id] ?? [])]);
      expect(result.info.method.id).toBe(id);
      const cells = result.sequences[0]!.sourceAttributions.flat();
      expect(cells.length, id).toBe(10);
      expect(
        cells.every((cell) => cell === null || Number.isFinite(cell)),
        id,
      ).toBe(true);
      expect(
        cells.some((cell) => cell !== null && cell !== 0),
        id,
      ).toBe(true);
    }
  });

  it("integrated gradients with the unk baseline meets completeness within 1% at 64 steps", async () => {
    const result = await attributeJson([
      "--method",
      "integrated_gradients",
      "--n-steps",
      "64",
      "--target",
      " there was",
      "--aggregate",
      "sum",
      "--normalize",
      "none",
      "--step-scores",
      "probability",
    ]);
    const sequence = result.sequences[0]!;
    const deltas = sequence.stepScores["deltas"]!;
    sequence.sourceAttributions.forEach((row, step) => {
      const total = row.reduce<number>((sum, cell) => sum + (cell ?? 0), 0);
      // sum of signed attributions = f(x) − f(baseline) + delta, and |delta| ≤ 1% of it
      const change = total - deltas[step]!;
      expect(Math.abs(deltas[step]!)).toBeLessThanOrEqual(0.01 * Math.abs(change) + 1e-6);
    });
  });

  it("saves with --out and renders the file with view; a corrupt file is rejected", async () => {
    const out = join(folder, "result.json.gz");
    const saved = memoryIO();
    expect(
      await run(
        ["attribute", "--model", stories, "Once upon a time", "--max-new-tokens", "3", "--out", out],
        saved,
      ),
    ).toBe(0);
    expect(saved.out()).toContain("Sequence 0");
    const view = memoryIO();
    expect(await run(["view", out], view)).toBe(0);
    expect(view.out()).toContain("Once");
    expect(view.out()).toContain("saliency");
    const corrupt = join(folder, "corrupt.json");
    writeFileSync(corrupt, JSON.stringify({ schemaVersion: 1, info: {}, sequences: [] }));
    const bad = memoryIO();
    expect(await run(["view", corrupt], bad)).toBe(3);
    expect(bad.err()).toContain("INVALID_RESULT");
  });

  it("rejects bad input with typed errors and exit code 3", async () => {
    const cases: [string[], string][] = [
      [["attribute", "--model", stories, "   "], "INVALID_INPUT"],
      [["attribute", "--model", stories, "Hi", "--method", "nope"], "UNKNOWN_ID"],
      [["attribute", "--model", stories, "Hi", "--param", "bogus=1"], "INVALID_PARAMETERS"],
      [["attribute", "--model", stories, "Hi", "--attributed-fn", "top_p_size"], "NOT_DIFFERENTIABLE"],
      [["attribute", "--model", stories, "Hi", "--target", ""], "INVALID_INPUT"],
      [["attribute", "--model", stories, "word ".repeat(600)], "PROMPT_TOO_LONG"],
    ];
    for (const [args, code] of cases) {
      const io = memoryIO();
      expect(await run(args, io), args.join(" ")).toBe(3);
      expect(io.err()).toContain(code);
    }
  });
});
