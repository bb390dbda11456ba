import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

// `tokenscope benchmark` on stories260K, with small limits.
const shared = fileURLToPath(new URL("../../../../../shared/", import.meta.url));
const stories = join(shared, "models", "stories260K");
const root = mkdtempSync(join(tmpdir(), "tokenscope-benchmark-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("tokenscope benchmark", () => {
  it("plausibility: one row per method with the random baseline; a second run with --out-dir resumes everything", async () => {
    const args = [
      "benchmark",
      "plausibility",
      "--model",
      stories,
      "--methods",
      "saliency,random",
      "--dataset",
      join(shared, "data", "reagent", "annotated_lambada.json"),
      "--limit",
      "3",
      "--out-dir",
      join(root, "plausibility"),
      "--json",
    ];
    const first = memoryIO();
    expect(await run(args, first), first.err()).toBe(0);
    const table = JSON.parse(first.out());
    expect(table.rows.map((row: { method: string }) => row.method)).toEqual(["saliency", "random"]);
    expect(table.rows[0].items).toBe(3);
    const f1 = table.rows[0].cells.find((cell: { metric: string }) => cell.metric === "f1");
    expect(f1.value.mean).toBeGreaterThanOrEqual(0);
    expect(f1.value.mean).toBeLessThanOrEqual(1);
    expect(f1.random).not.toBeNull();
    // The random row is the baseline itself.
    const randomF1 = table.rows[1].cells.find((cell: { metric: string }) => cell.metric === "f1");
    expect(randomF1.value.mean).toBeCloseTo(f1.random.mean, 12);
    const second = memoryIO();
    expect(await run(args, second), second.err()).toBe(0);
    expect(second.err()).toContain("0 attributions run · 3 resumed");
    expect(JSON.parse(second.out())).toEqual(table);
  });

  it("sequences and analogies (--keep-all) print Markdown tables with soft-NS / soft-NC", async () => {
    const sequences = memoryIO();
    const code = await run(
      [
        "benchmark",
        "sequences",
        "--model",
        stories,
        "--methods",
        "attention,random",
        "--dataset",
        join(shared, "data", "reagent", "wikitext.txt"),
        "--limit",
        "2",
        "--max-new-tokens",
        "3",
        "--stride",
        "2",
      ],
      sequences,
    );
    expect(code, sequences.err()).toBe(0);
    expect(sequences.out()).toMatch(/^\| method \| soft_ns \| rand_soft_ns \|/m);
    expect(sequences.out()).toContain("| attention |");
    const analogies = memoryIO();
    expect(
      await run(
        [
          "benchmark",
          "analogies",
          "--model",
          stories,
          "--methods",
          "attention",
          "--dataset",
          join(shared, "data", "analogies", "questions-words.txt"),
          "--keep-all",
          "--limit",
          "2",
          "--sections",
          "capital-common-countries",
        ],
        analogies,
      ),
      analogies.err(),
    ).toBe(0);
    expect(analogies.out()).toContain("| attention |");
    const missing = memoryIO();
    expect(await run(["benchmark", "sequences", "--model", stories, "--methods", "attention"], missing)).toBe(
      3,
    );
    expect(missing.err()).toContain("--dataset");
  });

  it("--param passes a method's parameters (validated before the model loads) and keys the resumable store by them", async () => {
    const base = [
      "benchmark",
      "plausibility",
      "--model",
      stories,
      "--methods",
      "integrated_gradients,random",
      "--dataset",
      join(shared, "data", "reagent", "annotated_lambada.json"),
      "--limit",
      "1",
      "--json",
    ];
    const outDir = join(root, "params");
    const four = memoryIO();
    expect(
      await run([...base, "--param", "integrated_gradients.n_steps=4", "--out-dir", outDir], four),
      four.err(),
    ).toBe(0);
    expect(JSON.parse(four.out()).rows[0].items).toBe(1);
    // Other parameters are another run: the store that holds the first refuses to mix them.
    const eight = memoryIO();
    expect(
      await run([...base, "--param", "integrated_gradients.n_steps=8", "--out-dir", outDir], eight),
    ).not.toBe(0);
    expect(eight.err()).toMatch(/another|settings|differ/i);
    const unknown = memoryIO();
    expect(await run([...base, "--param", "integrated_gradients.no_such=1"], unknown)).toBe(3);
    expect(unknown.err()).toContain("no_such");
    const stranger = memoryIO();
    expect(await run([...base, "--param", "occlusion.window=2"], stranger)).toBe(3);
    expect(stranger.err()).toContain("<method>.<parameter>=<value>");
  });
});
