/**
 * Greedy generation with and without the KV cache, side by side, on onnxruntime-node (CPU, 2 threads):
 * stories260K ("Once upon a time", 200 new tokens) and a random 12-layer Llama of GPT-2-small size
 * (hidden 768, 12 heads, intermediate 2048, vocabulary 32000; 48 prompt tokens, 64 new). Both paths
 * run the same model object (same sessions options), generate the same number of tokens (no stop
 * token), and must give the same ids. Times are whole `generate` calls: the prompt, every step, and
 * decoding the ids to text at the end. Prints a table and the process's peak RSS.
 *
 *   pnpm --filter @tokenscope/models bench
 */
import { cpus } from "node:os";
import type { LanguageModel } from "@tokenscope/core";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import { generateTokens } from "../src/language-model/generate.ts";
import { idTextTokenizer } from "../src/language-model/id-tokenizer.test-helpers.ts";
import { createRecomputeDecoder } from "../src/language-model/incremental-decoder.ts";
import { createOnnxLanguageModel } from "../src/language-model/onnx-language-model.ts";
import { loadModel } from "../src/load-model.ts";
import { stories260kDir } from "../src/testing/assets.test-helpers.ts";
import { randomDecoderWeights } from "../src/testing/random-weights.ts";
import type { DecoderConfig } from "../src/weights/types.ts";

const THREADS = 2;

/** Hugging Face Llama layout at GPT-2-small scale: about 134 M parameters, 0.54 GB of fp32. */
const largeConfig: DecoderConfig = {
  architecture: "llama",
  vocabSize: 32000,
  hiddenSize: 768,
  intermediateSize: 2048,
  numLayers: 12,
  numHeads: 12,
  numKeyValueHeads: 12,
  headDim: 64,
  contextLength: 2048,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  ropeStyle: "half",
  tieWordEmbeddings: false,
  bosTokenId: 1,
  eosTokenId: 2,
};

interface Row {
  model: string;
  promptTokens: number;
  newTokens: number;
  /** Seconds per generation, best of the repetitions. */
  recomputeSeconds: number;
  cachedSeconds: number;
  sameIds: boolean;
}

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

function peakRssMiB(): number {
  // resourceUsage reports maxRSS in KiB.
  return process.resourceUsage().maxRSS / 1024;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await run();
  return { value, seconds: seconds(start) };
}

/**
 * Times greedy generation of `newTokens` after `prompt` both ways, `repetitions` times each
 * (alternating, best time kept), after a warm-up of `warmupTokens` each way that builds both
 * sessions (and, for a small model, lets the JIT settle).
 */
async function compare(
  name: string,
  model: LanguageModel,
  prompt: number[],
  newTokens: number,
  { repetitions, warmupTokens }: { repetitions: number; warmupTokens: number },
): Promise<Row> {
  const options = { maxNewTokens: newTokens, stopTokenIds: [] };
  const warmup = { maxNewTokens: warmupTokens, stopTokenIds: [] };
  const setup = await timed(async () => {
    await model.generate!(prompt, warmup);
    await generateTokens(model, prompt, warmup, createRecomputeDecoder(model));
  });
  console.log(`${name}: sessions built and warmed up in ${setup.seconds.toFixed(1)} s`);
  let recomputeSeconds = Number.POSITIVE_INFINITY;
  let cachedSeconds = Number.POSITIVE_INFINITY;
  let sameIds = true;
  for (let repetition = 0; repetition < repetitions; repetition++) {
    const recomputed = await timed(() =>
      generateTokens(model, prompt, options, createRecomputeDecoder(model)),
    );
    const cached = await timed(() => model.generate!(prompt, options));
    recomputeSeconds = Math.min(recomputeSeconds, recomputed.seconds);
    cachedSeconds = Math.min(cachedSeconds, cached.seconds);
    sameIds &&= recomputed.value.ids.join() === cached.value.ids.join();
    if (cached.value.ids.length !== newTokens)
      throw new Error(`${name}: generated ${cached.value.ids.length}`);
    console.log(
      `${name}: run ${repetition + 1}/${repetitions}: without cache ${recomputed.seconds.toFixed(2)} s, with cache ${cached.seconds.toFixed(2)} s`,
    );
  }
  return { model: name, promptTokens: prompt.length, newTokens, recomputeSeconds, cachedSeconds, sameIds };
}

async function storiesRow(): Promise<Row> {
  const model = await loadModel(stories260kDir, { threads: THREADS });
  try {
    const prompt = (await model.tokenize("Once upon a time")).tokens.map((token) => token.id!);
    return await compare("stories260K", model, prompt, 200, { repetitions: 5, warmupTokens: 200 });
  } finally {
    await model.dispose?.();
  }
}

async function largeRow(): Promise<Row> {
  const built = await timed(async () => randomDecoderWeights(largeConfig, 2024));
  console.log(`random 12-layer llama: weights made in ${built.seconds.toFixed(1)} s`);
  const model = createOnnxLanguageModel({
    id: "random llama 12×768",
    weights: built.value,
    tokenizer: idTextTokenizer(largeConfig.vocabSize),
    runtime: createOnnxruntimeNodeRuntime(),
    sessionOptions: { intraOpThreads: THREADS },
  });
  try {
    // BOS, then 47 ids spread over the vocabulary (a fixed, arbitrary prompt).
    const prompt = [1, ...Array.from({ length: 47 }, (_, i) => 3 + ((i * 7919 + 104729) % 31990))];
    return await compare("random llama 12×768", model, prompt, 64, { repetitions: 1, warmupTokens: 2 });
  } finally {
    await model.dispose?.();
  }
}

function table(rows: Row[]): string {
  const header = [
    "model",
    "prompt",
    "new",
    "no cache tok/s",
    "KV cache tok/s",
    "speed-up",
    "no cache s",
    "KV cache s",
    "same ids",
  ];
  const cells = rows.map((row) => [
    row.model,
    String(row.promptTokens),
    String(row.newTokens),
    (row.newTokens / row.recomputeSeconds).toFixed(1),
    (row.newTokens / row.cachedSeconds).toFixed(1),
    `${(row.recomputeSeconds / row.cachedSeconds).toFixed(1)}×`,
    row.recomputeSeconds.toFixed(2),
    row.cachedSeconds.toFixed(2),
    row.sameIds ? "yes" : "NO",
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((row) => row[column]!.length)),
  );
  const line = (values: string[]) =>
    `| ${values.map((value, column) => value.padEnd(widths[column]!)).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`,
    ...cells.map(line),
  ].join("\n");
}

const started = performance.now();
console.log(
  `onnxruntime-node CPU, ${THREADS} intra-op threads; ${cpus()[0]?.model ?? "unknown CPU"} (${cpus().length} cores); node ${process.version}`,
);
const rows = [await storiesRow()];
const storiesPeak = peakRssMiB();
rows.push(await largeRow());
console.log();
console.log(table(rows));
console.log();
console.log(
  `peak RSS: ${storiesPeak.toFixed(0)} MiB after stories260K, ${peakRssMiB().toFixed(0)} MiB overall; total ${seconds(started).toFixed(0)} s`,
);
if (rows.some((row) => !row.sameIds)) {
  console.error("the cached and recomputed generations differ");
  process.exitCode = 1;
}
