/**
 * The attribution benchmark of issue 5, in one run on onnxruntime-node (CPU, 2 intra-op threads):
 *
 *   (a) saliency over all 16 steps and integrated gradients (32 Gauss–Legendre points, unk baseline)
 *       on a random 12-layer Llama (hidden 768, 12 heads, intermediate 2048, vocabulary 32000;
 *       48 prompt ids, 16 greedy tokens): wall time and achieved GFLOP/s (flops.ts, counted on the
 *       calls the model received) against a MatMul peak measured in the same process, before and
 *       after the timed runs;
 *   (b) the same attributions computed the Inseq/Captum way (per-step-loop.ts: one gradient call per
 *       step on its growing prefix) on the same model object, timed alternately with ours, and the
 *       largest difference between the two attributions;
 *   (c) the completeness error of integrated gradients per number of points, unk and zero
 *       baselines, on stories260K (cheap), and on the 12-layer model at 32 points from (a).
 *
 * Our runs call the methods' `run` with a MethodSequence of token ids: `attribute()` takes prompt
 * text only, and the random folder's tokenizer does not give back arbitrary ids. The 16 targets are
 * generated greedily once (no stop token); every timed run then attributes them as forced targets,
 * to the source and the target prefix (as Inseq does for decoder-only models).
 *
 *   pnpm --filter @tokenscope/methods-gradient bench [all|llama|stories]
 *
 * Knobs (environment): BENCH_RUNS (timed saliency rounds, default 5), BENCH_IG_RUNS (timed
 * integrated-gradients rounds, default 2, cut when a round would end past BENCH_BUDGET_S, default
 * 420 s from the start: one round takes minutes on 2 cores).
 */
import { availableParallelism, cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { registerCoreBuiltins } from "@tokenscope/core";
import { loadModel } from "@tokenscope/models/node";
import { adaptiveRows, type CompletenessRow, completenessError, completenessSweep } from "./completeness.ts";
import { generatedSequence, type LlamaRun, runLlama } from "./llama-run.ts";
import { type MatmulPeak, measureMatmulPeak } from "./matmul-peak.ts";
import { completenessTable, llamaTables, peakTable } from "./report.ts";
import { log, median } from "./table.ts";

const THREADS = 2;
const IG_POINTS = 32;
const STARTED = performance.now();
const env = process.env;
const SALIENCY_RUNS = Number(env["BENCH_RUNS"] ?? 5);
const IG_RUNS = Number(env["BENCH_IG_RUNS"] ?? 2);
const DEADLINE_MS = STARTED + 1000 * Number(env["BENCH_BUDGET_S"] ?? 420);
const STORIES_POINTS = [8, 16, 32, 64, 128, 256, 512];
const stories260kDir = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));

const loadLine = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" / ");

function header(): void {
  console.log(`# attribution benchmark (issue 5), ${new Date().toISOString()}`);
  console.log(
    `${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores; onnxruntime-node CPU, ${THREADS} intra-op threads; node ${process.version}`,
  );
  console.log(
    `load average at start ${loadLine()} (1/5/15 min). Other jobs share this machine: a load above ~${THREADS} slows every figure below, the peak included.`,
  );
}

/** The MatMul rates of the shapes and one as large as the per-step loop's biggest products. */
async function matmulPeaks(when: string): Promise<(MatmulPeak & { when: string })[]> {
  const shapes = [
    [512, 768, 2048],
    [1024, 1024, 1024],
    [2048, 768, 2048],
  ] as const;
  const peaks: (MatmulPeak & { when: string })[] = [];
  for (const [m, k, n] of shapes) peaks.push({ ...(await measureMatmulPeak(m, k, n, THREADS, 30)), when });
  return peaks;
}

async function storiesRows(): Promise<(CompletenessRow & { model: string })[]> {
  const model = await loadModel(stories260kDir, { threads: THREADS });
  try {
    const prompt = "Once upon a time, there was a little girl named Lily.";
    const promptIds = (await model.tokenize(prompt, { addSpecialTokens: true })).tokens.map(
      (token) => token.id!,
    );
    const sequence = await generatedSequence(model, promptIds, 16);
    const name = `stories260K (${promptIds.length}+16)`;
    const rows = await completenessSweep(model, sequence, ["unk", "zero"], STORIES_POINTS, (row) =>
      log(`${name}: ${row.baseline} baseline, ${row.points} points in ${(row.ms / 1000).toFixed(2)} s`),
    );
    rows.push(
      ...(await adaptiveRows(model, sequence, ["unk", "zero"], 32, 0.01, (row) =>
        log(`${name}: ${row.baseline} baseline, ${row.points} in ${(row.ms / 1000).toFixed(2)} s`),
      )),
    );
    return rows.map((row) => ({ ...row, model: name }));
  } finally {
    await model.dispose?.();
  }
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? "all";
  registerCoreBuiltins();
  header();
  log("measuring the MatMul peak");
  const peaks = await matmulPeaks("start");
  let llama: LlamaRun | undefined;
  if (which === "all" || which === "llama") {
    llama = await runLlama({
      threads: THREADS,
      promptTokens: 48,
      newTokens: 16,
      igPoints: IG_POINTS,
      saliencyRuns: SALIENCY_RUNS,
      igRuns: IG_RUNS,
      deadlineMs: DEADLINE_MS,
    });
    peaks.push(...(await matmulPeaks("after (a), (b)")));
  }
  const peak = Math.max(...peaks.map((entry) => entry.gflops));
  console.log("\n## MatMul peak (a session of one float32 MatMul, weight as initializer, same threads)\n");
  console.log(peakTable(peaks));
  console.log(`peak used below: ${peak.toFixed(1)} GFLOP/s, the best of these`);
  if (llama) console.log(llamaTables(llama, peak, IG_POINTS).join("\n"));
  const completeness: (CompletenessRow & { model: string })[] = [];
  if (which === "all" || which === "stories") completeness.push(...(await storiesRows()));
  if (llama) {
    const ours = llama.integratedGradients.ours;
    completeness.push({
      model: "random llama 12×768 (48+16)",
      baseline: "unk",
      points: IG_POINTS,
      error: completenessError(ours.value, "probability"),
      ms: median(ours.ms),
    });
  }
  if (completeness.length > 0) {
    console.log("\n## (c) integrated gradients: completeness error per number of points (Gauss–Legendre)\n");
    console.log(completenessTable(completeness));
    console.log(
      "rel. error = |Σ attributions − (f(x) − f(x′))| / |f(x) − f(x′)| per step (max and median over the 16 steps); f = probability of the target token",
    );
  }
  console.log(
    `\nload average at end ${loadLine()}; total ${((performance.now() - STARTED) / 1000).toFixed(0)} s; peak RSS ${(process.resourceUsage().maxRSS / 1024 ** 2).toFixed(2)} GiB`,
  );
}

await main();
