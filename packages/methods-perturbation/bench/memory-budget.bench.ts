/**
 * Is the memory budget a budget? Two parts, each measurement in a fresh Node process:
 *
 * - `rows`: one model call of each kind the methods send (a gradient call over distinct embedding
 *   rows as integrated gradients sends, the same with each layer recomputed in the backward pass
 *   (`recompute: true`, what gradient methods ask for when a held row exceeds the budget), a forward call reading one position as occlusion sends, a
 *   value-zeroing call with residual taps, an attention-tap call, a forward call returning every
 *   position's logits as ReAGent's model sampler sends), at 128 to 1000 tokens, on stories260K, a
 *   random Llama (hidden 256, 4 layers, 4 heads) and a random GPT-2 (hidden 256, 4 layers, 16
 *   heads). Printed: each family's estimate per row, the measured peak resident memory growth per
 *   row above the loaded, warmed-up model (a call of the same kind at 16 tokens first), and their
 *   ratio, which must stay below 1 for the estimate to bound the call.
 * - `budget`: the cases of src/memory-budget-honoured.test.ts (saliency, integrated_gradients with
 *   n_steps 2, occlusion by sentence on the last two steps) and occlusion by token on the last step,
 *   on a 482-token stories260K prompt with 5 target tokens: refused at 16 MiB, then run at the
 *   smallest budget the refusal names, with onnxruntime's memory pattern on and off; budget,
 *   estimate and measured peak side by side.
 *
 *   pnpm --filter @tokenscope/methods-perturbation exec tsx --conditions=@tokenscope/source \
 *     bench/memory-budget.bench.ts [rows|budget]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { LanguageModel, ModelInfo } from "@tokenscope/core";
import { attentionRowBytes } from "@tokenscope/methods-attention";
import { estimateRecomputeRowBytes, estimateRowBytes } from "@tokenscope/methods-gradient";
import { loadModel, writeRandomHfFolder } from "@tokenscope/models/node";
import { runBudgetCase } from "../src/budget-run.test-helpers.ts";
import { rowBytes, valueZeroingRowBytes } from "../src/shared/memory-budget.ts";
import { batchResiduals } from "../src/shared/residual-forward.ts";

const MiB = 2 ** 20;
const stories = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));

/** The kinds of model call measured. */
type CallKind = "gradient" | "gradient-recompute" | "forward" | "zeroing" | "attention" | "all-logits";

interface RowCase {
  model: string;
  kind: CallKind;
  length: number;
  rows: number;
  memoryPattern: boolean;
}

function statusKiB(field: "VmRSS" | "VmHWM"): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"))![1]);
}

/** Distinct ids per row (a row's content changes nothing in the memory, but rows must not be deduplicated). */
function idRows(info: ModelInfo, rows: number, length: number): number[][] {
  return Array.from({ length: rows }, (_, row) =>
    Array.from({ length }, (_, t) => (t === 0 ? 1 : 3 + ((t * 7 + row * 13) % (info.vocabSize - 3)))),
  );
}

async function callOnce(model: LanguageModel, kind: CallKind, rows: number, length: number): Promise<void> {
  const { info } = model;
  const ids = idRows(info, rows, length);
  const last = ids.map(() => [length - 1]);
  if (kind === "gradient" || kind === "gradient-recompute") {
    const embeddings = await model.embed!(ids);
    await model.gradients!({
      inputs: { embeddings },
      objective: {
        kind: "stepFunction",
        stepFunction: "probability",
        positions: ids.map(() => length - 1),
        targetIds: ids.map(() => 5),
      },
      wrt: { kind: "embeddings" },
      ...(kind === "gradient-recompute" ? { recompute: true } : {}),
    });
  } else if (kind === "forward") {
    await model.forward!({ inputs: { ids }, positions: last });
  } else if (kind === "all-logits") {
    await model.forward!({ inputs: { ids }, positions: ids.map(() => ids[0]!.map((_, p) => p)) });
  } else if (kind === "attention") {
    const layers = Array.from({ length: info.numLayers }, (_, layer) => layer);
    await model.forward!({ inputs: { ids }, positions: last, taps: { attention: true, layers } });
  } else {
    const layers = Array.from({ length: info.numLayers }, (_, layer) => layer);
    await batchResiduals(
      model,
      ids,
      layers,
      ids.map((_, row) => ({
        kind: "zeroValues" as const,
        layer: row % info.numLayers,
        positions: [1],
        batch: row,
      })),
      undefined,
    );
  }
}

/** Child: peak growth of one call of `rowCase` above the warmed-up model, printed as JSON. */
async function measureRow(rowCase: RowCase): Promise<void> {
  const { registerCoreBuiltins } = await import("@tokenscope/core");
  registerCoreBuiltins();
  const model = await loadModel(
    rowCase.model,
    rowCase.memoryPattern ? {} : { sessionOptions: { ortOptions: { enableMemPattern: false } } },
  );
  await callOnce(model, rowCase.kind, 1, 16);
  (globalThis as { gc?: () => void }).gc?.();
  writeFileSync("/proc/self/clear_refs", "5");
  const before = statusKiB("VmRSS");
  await callOnce(model, rowCase.kind, rowCase.rows, rowCase.length);
  const peakGrowthBytes = (statusKiB("VmHWM") - before) * 1024;
  process.stdout.write(`${JSON.stringify({ peakGrowthBytes })}\n`);
}

function runRow(rowCase: RowCase): number {
  const child = spawnSync(
    process.execPath,
    [
      "--conditions=@tokenscope/source",
      "--expose-gc",
      "--import",
      "tsx",
      fileURLToPath(import.meta.url),
      "--row",
      JSON.stringify(rowCase),
    ],
    { encoding: "utf8", cwd: fileURLToPath(new URL("..", import.meta.url)), timeout: 600_000 },
  );
  if (child.status !== 0) throw new Error(`${JSON.stringify(rowCase)}: ${child.stderr}`);
  return (JSON.parse(child.stdout.trim().split("\n").at(-1)!) as { peakGrowthBytes: number }).peakGrowthBytes;
}

function estimate(info: ModelInfo, kind: CallKind, length: number): number {
  switch (kind) {
    case "gradient":
      return estimateRowBytes(info, length);
    case "gradient-recompute":
      return estimateRecomputeRowBytes(info, length);
    case "forward":
      return rowBytes(info, { length, logitPositions: 1, embeddings: false });
    case "all-logits":
      return rowBytes(info, { length, logitPositions: length, embeddings: false });
    case "zeroing":
      return valueZeroingRowBytes(info, length, info.numLayers);
    case "attention":
      return attentionRowBytes(info, length, info.numLayers);
  }
}

async function rowsTable(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), "tokenscope-memory-bench-"));
  try {
    const models: { name: string; path: string; lengths: number[] }[] = [
      { name: "stories260K", path: stories, lengths: [128, 256, 500] },
    ];
    for (const [architecture, heads] of [
      ["llama", 4],
      ["gpt2", 16],
    ] as const) {
      const out = join(folder, architecture);
      await writeRandomHfFolder({
        architecture,
        layers: 4,
        hidden: 256,
        heads,
        vocab: 2000,
        seed: 1,
        contextLength: 1024,
        out,
      });
      models.push({
        name: `random ${architecture} (256, 4 layers, ${heads} heads)`,
        path: out,
        lengths: [128, 500, 1000],
      });
    }
    const kinds = (process.argv[3]?.split(",") as CallKind[] | undefined) ?? [
      "gradient",
      "forward",
      "zeroing",
      "attention",
      "all-logits",
    ];
    console.log("model | call | tokens | rows | estimate MiB/row | measured MiB/row | measured/estimate");
    for (const { name, path, lengths } of models) {
      const { info } = await loadModel(path);
      for (const kind of kinds) {
        for (const length of lengths) {
          for (const rows of [1, 3]) {
            const measured = runRow({ model: path, kind, length, rows, memoryPattern: true }) / rows;
            const estimated = estimate(info, kind, length);
            console.log(
              `${name} | ${kind} | ${length} | ${rows} | ${(estimated / MiB).toFixed(1)} | ${(measured / MiB).toFixed(1)} | ${(measured / estimated).toFixed(2)}`,
            );
          }
        }
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function budgetTable(): void {
  const cases = [
    { method: "saliency" },
    { method: "integrated_gradients", parameters: { n_steps: 2 } },
    { method: "occlusion", parameters: { unit: "sentence" }, steps: { start: 3 } },
    { method: "occlusion", steps: { start: 4 } },
  ];
  console.log(
    "method | parameters | memory pattern | budget MiB | estimate MiB/row | peak growth MiB | calls | wall s | refused at 16 MiB in ms",
  );
  for (const budgetCase of cases) {
    const refused = runBudgetCase({ ...budgetCase, budgetBytes: 16 * MiB });
    const details = refused.error?.details as { smallestBudgetBytes: number; rowBytes: number } | undefined;
    if (!details) throw new Error(`${budgetCase.method} was not refused at 16 MiB`);
    // The smallest budget (one row per call) and four times it (four rows per call), as calls of
    // one shape repeat: where onnxruntime's memory pattern doubled a peak, "on" and "off" differ.
    for (const [budgetBytes, memoryPattern] of [
      [details.smallestBudgetBytes, true],
      [details.smallestBudgetBytes, false],
      [4 * details.smallestBudgetBytes, true],
      [4 * details.smallestBudgetBytes, false],
    ] as const) {
      const run = runBudgetCase({ ...budgetCase, budgetBytes, memoryPattern });
      if (run.error) throw new Error(`${budgetCase.method}: ${run.error.message}`);
      const calls = Object.values(run.modelCalls).reduce((a, b) => a + b, 0);
      console.log(
        `${budgetCase.method} | ${JSON.stringify({ ...budgetCase.parameters, ...(budgetCase.steps ? { steps: budgetCase.steps } : {}) })} | ${memoryPattern ? "on" : "off"} | ${budgetBytes / MiB} | ${(details.rowBytes / MiB).toFixed(1)} | ${(run.peakGrowthBytes / MiB).toFixed(1)} | ${calls} | ${(run.elapsedMs / 1000).toFixed(2)} | ${refused.elapsedMs.toFixed(0)}`,
      );
    }
  }
}

if (process.argv[2] === "--row") {
  await measureRow(JSON.parse(process.argv[3]!) as RowCase);
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const which = process.argv[2];
  if (which === undefined || which === "budget") budgetTable();
  if (which === undefined || which === "rows") await rowsTable();
}
