/**
 * Forward vs forward+backward on a full-size Llama-style graph (12 layers, hidden 768, 12 heads, SwiGLU
 * 2048, vocabulary 32000, float32), on onnxruntime-node (CPU) and onnxruntime-web (wasm, from Node),
 * side by side in one run. The backward pass is the gradient of one logit per sequence (last position)
 * with respect to `inputs_embeds`, never the weights, so its matrix products cost about what the
 * forward ones do: (forward+backward)/forward near 2 is ideal, 3 the usual physical bound.
 *
 *   pnpm --filter @tokenscope/tensor-backends bench
 *
 * Knobs (environment): BENCH_RUNS (timed runs, default 5), BENCH_WARMUPS (default 2), BENCH_BUDGET_S
 * (seconds the whole run should take; the web runtime's repetitions are cut to fit, default 300),
 * BENCH_LAYERS (default 12), BENCH_RUNTIMES ("node,web").
 */
import { availableParallelism, loadavg } from "node:os";
import { buildGradientGraph, gradName } from "../src/autodiff/build-gradient-graph.ts";
import { seededRandom } from "../src/autodiff/testing/random.ts";
import { type TinyConfig, tinyLlama } from "../src/autodiff/testing/tiny-transformers.ts";
import { encodeModel } from "../src/graph/codec.ts";
import { createOnnxruntimeNodeRuntime } from "../src/runtime/onnxruntime-node.ts";
import { createOnnxruntimeWebNodeRuntime } from "../src/runtime/onnxruntime-web-node.ts";
import type { RuntimeSession, RuntimeTensor, SessionOptions, TensorRuntime } from "../src/runtime/types.ts";

const env = process.env;
const RUNS = Number(env["BENCH_RUNS"] ?? 5);
const WARMUPS = Number(env["BENCH_WARMUPS"] ?? 2);
const BUDGET_MS = 1000 * Number(env["BENCH_BUDGET_S"] ?? 300);
const RUNTIMES = (env["BENCH_RUNTIMES"] ?? "node,web").split(",");
const STARTED = performance.now();
const BATCH = 16;
const SEQUENCE = 64;
const CORES = availableParallelism();

const CONFIG: TinyConfig = {
  hidden: 768,
  heads: 12,
  layers: Number(env["BENCH_LAYERS"] ?? 12),
  vocab: 32000,
  intermediate: 2048,
  maxPositions: SEQUENCE,
  targetToken: 3,
  seed: 2024,
  dataType: "float32",
};

/** One runtime's figures. */
interface Row {
  runtime: string;
  forwardMs: number[];
  backwardMs: number[];
  note: string;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function peakRssGiB(): number {
  return process.resourceUsage().maxRSS / 1024 ** 2;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

function inputs(): { embeds: RuntimeTensor; seed: RuntimeTensor } {
  const random = seededRandom(11);
  const embeds = new Float32Array(BATCH * SEQUENCE * CONFIG.hidden);
  for (let index = 0; index < embeds.length; index++) embeds[index] = 2 * random() - 1;
  return {
    embeds: { dataType: "float32", dims: [BATCH, SEQUENCE, CONFIG.hidden], data: embeds },
    seed: { dataType: "float32", dims: [BATCH], data: new Float32Array(BATCH).fill(1) },
  };
}

interface Graphs {
  forward: Uint8Array;
  gradient: Uint8Array;
  input: string;
  objective: string;
}

function buildGraphs(): Graphs {
  const tiny = tinyLlama(CONFIG);
  const gradient = buildGradientGraph(tiny.model, { of: [tiny.objective], wrt: [tiny.input] });
  log(`graph: ${tiny.model.graph.nodes.length} forward nodes, ${gradient.graph.nodes.length} with backward`);
  return {
    forward: encodeModel(tiny.model),
    gradient: encodeModel(gradient),
    input: tiny.input,
    objective: tiny.objective,
  };
}

/** Timings of one runtime, and the gradient of the last run. */
interface Measured {
  forwardMs: number[];
  backwardMs: number[];
  note: string;
  gradient: Float32Array;
}

/**
 * Warm up and time both sessions, alternating forward and forward+backward so that drift (other load
 * on the machine) hits both alike. With a deadline, repetitions are cut to what fits once the first
 * warm-up round has shown how long a round takes (always at least one timed run).
 */
async function measure(
  forward: RuntimeSession,
  gradient: RuntimeSession,
  feeds: { forward: Record<string, RuntimeTensor>; gradient: Record<string, RuntimeTensor> },
  gradientName: string,
  deadlineMs: number | undefined,
): Promise<Measured> {
  const round = async () => ({
    forward: await timed(() => forward.run(feeds.forward)),
    gradient: await timed(() => gradient.run(feeds.gradient)),
  });
  const first = await round();
  let warmups = WARMUPS;
  let runs = RUNS;
  let note = `median of ${RUNS} after ${WARMUPS} warm-ups`;
  if (deadlineMs !== undefined) {
    const perRound = first.forward.ms + first.gradient.ms;
    const fits = Math.floor((deadlineMs - performance.now()) / perRound);
    if (fits < WARMUPS - 1 + RUNS) {
      runs = Math.max(1, Math.min(RUNS, fits));
      warmups = 1 + Math.max(0, Math.min(WARMUPS - 1, fits - runs));
      note = `median of ${runs} after ${warmups} warm-up${warmups === 1 ? "" : "s"} (cut from ${RUNS}/${WARMUPS}: a round takes ${(perRound / 1000).toFixed(0)} s)`;
    }
  }
  for (let extra = 1; extra < warmups; extra++) await round();
  const forwardMs: number[] = [];
  const backwardMs: number[] = [];
  let last = first;
  for (let index = 0; index < runs; index++) {
    last = await round();
    forwardMs.push(last.forward.ms);
    backwardMs.push(last.gradient.ms);
  }
  const values = last.gradient.value[gradientName]!.data as Float32Array;
  return { forwardMs, backwardMs, note, gradient: values };
}

/** <∇, v> against (f(x + h·v) − f(x − h·v)) / 2h along a random direction v: catches a broken graph. */
async function directionalCheck(
  forward: RuntimeSession,
  graphs: Graphs,
  embeds: RuntimeTensor,
  gradient: Float32Array,
): Promise<number> {
  const random = seededRandom(99);
  const base = embeds.data as Float32Array;
  const direction = Float32Array.from(base, () => 2 * random() - 1);
  const step = 1e-2;
  const objective = async (sign: number) => {
    const shifted = Float32Array.from(base, (value, index) => value + sign * step * direction[index]!);
    const outputs = await forward.run({ [graphs.input]: { ...embeds, data: shifted } }, [graphs.objective]);
    return Array.from(outputs[graphs.objective]!.data as Float32Array).reduce((a, b) => a + b, 0);
  };
  const numeric = ((await objective(1)) - (await objective(-1))) / (2 * step);
  let analytic = 0;
  for (let index = 0; index < gradient.length; index++) analytic += gradient[index]! * direction[index]!;
  return Math.abs(analytic - numeric) / Math.max(Math.abs(numeric), 1e-12);
}

/** The gradient under "basic" (no fusions) against the one under the level benchmarked: does "all" change it? */
async function levelCheck(
  runtime: TensorRuntime,
  options: SessionOptions,
  graphs: Graphs,
  feeds: Record<string, RuntimeTensor>,
  gradient: Float32Array,
): Promise<number> {
  const session = await runtime.createSession(graphs.gradient, {
    ...options,
    graphOptimizationLevel: "basic",
  });
  try {
    const outputs = await session.run(feeds, [gradName(graphs.input)]);
    return maxRelativeDifference(outputs[gradName(graphs.input)]!.data as Float32Array, gradient);
  } finally {
    await session.dispose();
  }
}

async function benchRuntime(
  name: string,
  runtime: TensorRuntime,
  options: SessionOptions,
  graphs: Graphs,
  deadlineMs: number | undefined,
): Promise<Row & { gradient: Float32Array; check: number | undefined; basic: number | undefined }> {
  const { embeds, seed } = inputs();
  const created = await timed(async () => ({
    forward: await runtime.createSession(graphs.forward, options),
    gradient: await runtime.createSession(graphs.gradient, options),
  }));
  log(`${name}: sessions created in ${(created.ms / 1000).toFixed(1)} s`);
  const { forward, gradient } = created.value;
  try {
    const feeds = {
      forward: { [graphs.input]: embeds },
      gradient: { [graphs.input]: embeds, [gradName(graphs.objective)]: seed },
    };
    const measured = await measure(forward, gradient, feeds, gradName(graphs.input), deadlineMs);
    // Affordable natively, too slow on wasm (whose gradient is compared with node's instead).
    const native = deadlineMs === undefined;
    const check = native ? await directionalCheck(forward, graphs, embeds, measured.gradient) : undefined;
    const basic = native
      ? await levelCheck(runtime, options, graphs, feeds.gradient, measured.gradient)
      : undefined;
    log(`${name}: done, peak RSS so far ${peakRssGiB().toFixed(2)} GiB`);
    return { runtime: name, ...measured, check, basic };
  } finally {
    await forward.dispose();
    await gradient.dispose();
  }
}

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  let scale = 0;
  for (let index = 0; index < a.length; index++) {
    worst = Math.max(worst, Math.abs(a[index]! - b[index]!));
    scale = Math.max(scale, Math.abs(b[index]!));
  }
  return worst / scale;
}

function table(rows: readonly (Row & { check: number | undefined })[]): string {
  const header = ["runtime", "forward ms", "fwd+bwd ms", "(fwd+bwd)/fwd", "directional check", "repetitions"];
  const lines = rows.map((row) => {
    const forward = median(row.forwardMs);
    const both = median(row.backwardMs);
    return [
      row.runtime,
      forward.toFixed(0),
      both.toFixed(0),
      (both / forward).toFixed(2),
      row.check === undefined ? "-" : row.check.toExponential(1),
      row.note,
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const format = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ");
  return [format(header), format(widths.map((width) => "-".repeat(width))), ...lines.map(format)].join("\n");
}

async function main(): Promise<void> {
  log(
    `Llama-style: ${CONFIG.layers} layers, hidden ${CONFIG.hidden}, ${CONFIG.heads} heads, MLP ${CONFIG.intermediate}, vocabulary ${CONFIG.vocab}; input [${BATCH}, ${SEQUENCE}, ${CONFIG.hidden}] float32; ${CORES} cores`,
  );
  const loadBefore = loadavg()[0]!;
  const built = await timed(async () => buildGraphs());
  const graphs = built.value;
  log(
    `built and encoded in ${(built.ms / 1000).toFixed(1)} s (${(graphs.forward.byteLength / 2 ** 20).toFixed(0)} MiB forward, ${(graphs.gradient.byteLength / 2 ** 20).toFixed(0)} MiB with backward)`,
  );
  const rows: (Row & { gradient: Float32Array; check: number | undefined; basic: number | undefined })[] = [];
  if (RUNTIMES.includes("node")) {
    const row = await benchRuntime(
      "onnxruntime-node",
      createOnnxruntimeNodeRuntime(),
      { intraOpThreads: CORES, graphOptimizationLevel: "all" },
      graphs,
      undefined,
    );
    rows.push({ ...row, runtime: `onnxruntime-node (cpu, ${CORES} threads, "all")` });
  }
  if (RUNTIMES.includes("web")) {
    const row = await benchRuntime(
      "onnxruntime-web",
      createOnnxruntimeWebNodeRuntime({ numThreads: CORES }),
      { graphOptimizationLevel: "all" },
      graphs,
      STARTED + BUDGET_MS,
    );
    rows.push({ ...row, runtime: `onnxruntime-web (wasm, ${CORES} threads, "all")` });
  }
  console.log(table(rows));
  if (rows.length === 2) {
    const difference = maxRelativeDifference(rows[1]!.gradient, rows[0]!.gradient);
    console.log(`gradient agreement web vs node: max |Δ| / max |∇| = ${difference.toExponential(1)}`);
  }
  console.log(
    `directional check: |<∇, v> − central difference along v| / |central difference| (node, forward session)`,
  );
  const basic = rows.find((row) => row.basic !== undefined)?.basic;
  if (basic !== undefined) {
    console.log(
      `gradient under graph optimization "all" vs "basic" (node): max |Δ∇| / max |∇| = ${basic.toExponential(1)} (${basic < 1e-4 ? "float32 rounding: the fusions change nothing" : "MORE THAN ROUNDING: check the fusions"})`,
    );
  }
  console.log(
    `peak RSS: ${peakRssGiB().toFixed(2)} GiB; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (${CORES} cores: above ~${CORES} other processes slowed the timings); ${((performance.now() - STARTED) / 1000).toFixed(0)} s in all`,
  );
}

await main();
