import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadResult } from "@tokenscope/core/node";
import { evaluateResult } from "@tokenscope/eval";
import { loadModel } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

// `tokenscope eval` and `attribute --evaluate` end to end on stories260K.
const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "tokenscope-eval-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let saved: string;
beforeAll(async () => {
  saved = join(root, "saved.json");
  const io = memoryIO();
  const code = await run(
    ["attribute", "--model", stories, "Once upon a time", "--max-new-tokens", "3", "--out", saved],
    io,
  );
  expect(code, io.err()).toBe(0);
});

describe("tokenscope eval", () => {
  it("--json prints the report evaluateResult gives, in the issue's shape", async () => {
    const io = memoryIO();
    const args = [
      "eval",
      saved,
      "--model",
      stories,
      "--metrics",
      "soft_ns,soft_nc,comp",
      "--k",
      "0.5",
      "--samples",
      "2",
      "--seed",
      "7",
      "--json",
    ];
    expect(await run(args, io), io.err()).toBe(0);
    const printed = JSON.parse(io.out());
    const model = await loadModel(stories);
    try {
      const expected = await evaluateResult(await loadResult(saved), model, {
        metrics: ["soft_ns", "soft_nc", "comp"],
        k: [0.5],
        samples: 2,
        seed: 7,
      });
      expect(printed).toEqual(JSON.parse(JSON.stringify({ sequences: expected.sequences })));
    } finally {
      await model.dispose?.();
    }
    const step = printed.sequences[0].steps[0];
    expect(Object.keys(step)).toEqual(
      expect.arrayContaining(["step", "target", "soft_ns", "rand_soft_ns", "soft_ns_se", "comp@0.5"]),
    );
    expect(printed.sequences[0].steps).toHaveLength(3);
    expect(printed.sequences[0].sequence.soft_ns).toBeCloseTo(
      printed.sequences[0].steps.reduce((sum: number, s: { soft_ns: number }) => sum + s.soft_ns, 0) / 3,
      10,
    );
  });

  it("--md prints both tables; bad parameters and a result of another model are clear errors", async () => {
    const md = memoryIO();
    expect(await run(["eval", saved, "--model", stories, "--md"], md), md.err()).toBe(0);
    expect(md.out()).toContain("### Per attributed step");
    expect(md.out()).toContain("| sequence | step | target | soft\\_ns |");
    const badK = memoryIO();
    expect(await run(["eval", saved, "--model", stories, "--metrics", "comp", "--k", "1.5"], badK)).toBe(3);
    expect(badK.err()).toMatch(/k/);
    const other = join(root, "other.json");
    const value = JSON.parse(readFileSync(saved, "utf8"));
    value.info.model.id = "someone/another-model";
    writeFileSync(other, JSON.stringify(value));
    const mismatch = memoryIO();
    expect(await run(["eval", other, "--model", stories], mismatch)).toBe(3);
    expect(mismatch.err()).toMatch(/another-model/);
  });

  it("attribute --evaluate stores the metrics in the saved result (schema 2) and prints them", async () => {
    const out = join(root, "evaluated.json");
    const io = memoryIO();
    const args = [
      "attribute",
      "--model",
      stories,
      "Once upon a time",
      "--max-new-tokens",
      "2",
      "--evaluate",
      "soft_ns,soft_nc",
      "--out",
      out,
    ];
    expect(await run(args, io), io.err()).toBe(0);
    expect(io.out()).toContain("Per attributed step");
    const saved = await loadResult(out);
    expect(saved.schemaVersion).toBe(3);
    const metrics = saved.sequences[0]!.metrics!;
    expect(metrics.steps.map((step) => step.step)).toEqual([0, 1]);
    const model = await loadModel(stories);
    try {
      const { metrics: _stored, ...plain } = saved.sequences[0]!;
      const again = await evaluateResult({ ...saved, sequences: [plain] }, model, {
        metrics: ["soft_ns", "soft_nc"],
      });
      // Saved scores are float32, the run evaluated float64 ones: equal to that precision.
      for (const [t, step] of metrics.steps.entries()) {
        expect(step["soft_ns"] as number).toBeCloseTo(again.sequences[0]!.steps[t]!["soft_ns"] as number, 4);
        expect(step["rand_soft_nc"] as number).toBeCloseTo(
          again.sequences[0]!.steps[t]!["rand_soft_nc"] as number,
          4,
        );
      }
    } finally {
      await model.dispose?.();
    }
    const unknown = memoryIO();
    expect(await run(["attribute", "--model", stories, "Hi", "--evaluate", "soft_xx"], unknown)).toBe(3);
    expect(unknown.err()).toMatch(/soft_xx/);
  });
});
