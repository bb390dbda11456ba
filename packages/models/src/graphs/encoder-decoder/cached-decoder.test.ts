import type { RuntimeTensor } from "@tokenscope/tensor-backends";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type CTranslate2TransformerFolder,
  loadCTranslate2TransformerFolder,
} from "../../formats/ctranslate2/load-folder.ts";
import { ctranslate2TokensToIds } from "../../formats/ctranslate2/vocabulary.ts";
import { arenTransliterationDir } from "../../testing/assets.test-helpers.ts";
import { floatTensor, int64Rows, maxAbsDiff, sessionOf } from "../run.test-helpers.ts";
import { buildCachedDecoderGraph, buildCrossKeyValueGraph } from "./cached-decoder.ts";
import { buildTransformerGraph } from "./transformer.ts";

let aren: CTranslate2TransformerFolder;
beforeAll(async () => {
  aren = await loadCTranslate2TransformerFolder(arenTransliterationDir);
});

const VOCAB = 43;
const HEADS = 8;
const HEAD_DIM = 4;
const LAYERS = 6;
const sourceIds = (text: string) => ctranslate2TokensToIds(aren.sourceVocabulary, [...text]);
const targetIds = (tokens: readonly string[]) => ctranslate2TokensToIds(aren.targetVocabulary, tokens);
const pad = (row: readonly number[], length: number) => [
  ...row,
  ...Array<number>(length - row.length).fill(0),
];
const onesOf = (row: readonly number[], length: number) =>
  pad(
    row.map(() => 1),
    length,
  );

interface Batch {
  sources: number[][];
  sourceMask: number[][];
  targets: number[][];
  targetMask: number[][];
}

/** The full graph's logits [batch, tgt, vocab] and encoder output for a batch. */
async function fullRun(batch: Batch) {
  const graph = buildTransformerGraph(aren.weights, { taps: ["encoder_hidden_states"] });
  const outputs = await (await sessionOf(graph.model)).run({
    input_ids: int64Rows(batch.sources),
    attention_mask: int64Rows(batch.sourceMask),
    decoder_input_ids: int64Rows(batch.targets),
    decoder_attention_mask: int64Rows(batch.targetMask),
  });
  return { logits: outputs["logits"]!, memory: outputs["encoder_hidden_states"]! };
}

const cachedGraph = () => buildCachedDecoderGraph(aren.weights);
const crossGraph = () => buildCrossKeyValueGraph(aren.weights);
let cached: ReturnType<typeof cachedGraph> | undefined;
let cross: ReturnType<typeof crossGraph> | undefined;

/**
 * Runs the cached decoder over `batch.targets` in chunks of `chunks` tokens, feeding each run's
 * presents to the next, and returns every run's logits [batch, chunk, vocab] in order.
 */
async function cachedRun(batch: Batch, memory: RuntimeTensor, chunks: number[]): Promise<RuntimeTensor[]> {
  cached ??= cachedGraph();
  cross ??= crossGraph();
  const rows = batch.targets.length;
  const crossFeeds = await (await sessionOf(cross)).run({ encoder_hidden_states: memory });
  const past: Record<string, RuntimeTensor> = {};
  for (let layer = 0; layer < LAYERS; layer++) {
    for (const kind of ["key", "value"]) {
      past[`past_${kind}.${layer}`] = floatTensor([], [rows, HEADS, 0, HEAD_DIM]);
    }
  }
  const session = await sessionOf(cached);
  const logits: RuntimeTensor[] = [];
  let start = 0;
  for (const size of chunks) {
    const outputs = await session.run({
      decoder_input_ids: int64Rows(batch.targets.map((row) => row.slice(start, start + size))),
      decoder_attention_mask: int64Rows(batch.targetMask.map((row) => row.slice(0, start + size))),
      attention_mask: int64Rows(batch.sourceMask),
      ...crossFeeds,
      ...past,
    });
    logits.push(outputs["logits"]!);
    start += size;
    for (let layer = 0; layer < LAYERS; layer++) {
      for (const kind of ["key", "value"]) {
        const present = outputs[`present_${kind}.${layer}`]!;
        expect(present.dims).toEqual([rows, HEADS, start, HEAD_DIM]);
        past[`past_${kind}.${layer}`] = present;
      }
    }
  }
  return logits;
}

/** The full logits [batch, tgt, vocab] of row `row`, positions `from ..< to`. */
function slice(logits: RuntimeTensor, row: number, from: number, to: number): Float32Array {
  const length = logits.dims[1]!;
  const data = logits.data as Float32Array;
  return data.subarray((row * length + from) * VOCAB, (row * length + to) * VOCAB);
}

describe("buildCachedDecoderGraph on aren-transliteration", () => {
  it("takes the cache and cross keys and values under stable names", () => {
    const model = cachedGraph();
    const inputs = model.graph.inputs.map((value) => value.name);
    expect(inputs.slice(0, 3)).toEqual(["decoder_input_ids", "decoder_attention_mask", "attention_mask"]);
    expect(inputs).toContain("past_key.5");
    expect(inputs).toContain("cross_value.0");
    expect(inputs).toHaveLength(3 + 4 * LAYERS);
    expect(model.graph.outputs.map((value) => value.name).slice(0, 3)).toEqual([
      "logits",
      "present_key.0",
      "present_value.0",
    ]);
    // The cached decoder holds no encoder weights and no cross key/value projection.
    const weights = model.graph.initializers.map((tensor) => tensor.name);
    expect(weights.some((name) => name.startsWith("encoder/"))).toBe(false);
    expect(weights.some((name) => name.includes("/attention/linear_1/"))).toBe(false);
    expect(crossGraph().graph.outputs.map((value) => value.name)).toHaveLength(2 * LAYERS);
  });

  it("gives the full decoder's logits at every step within 1e-5 (float32)", async () => {
    const source = sourceIds("آتزمون");
    const target = targetIds(["<s>", ..."atzmon"]);
    const batch: Batch = {
      sources: [source],
      sourceMask: [source.map(() => 1)],
      targets: [target],
      targetMask: [target.map(() => 1)],
    };
    const full = await fullRun(batch);
    // One token a step, as greedy decoding runs; then a first step of three (<s> and forced ids).
    for (const chunks of [target.map(() => 1), [3, 1, 1, 1, 1]]) {
      const steps = await cachedRun(batch, full.memory, chunks);
      let start = 0;
      for (const [step, logits] of steps.entries()) {
        const size = chunks[step]!;
        expect(logits.dims).toEqual([1, size, VOCAB]);
        const diff = maxAbsDiff(logits.data as Float32Array, slice(full.logits, 0, start, start + size));
        expect(diff, `step ${step} of ${chunks.join(",")}`).toBeLessThan(1e-5);
        start += size;
      }
    }
  });

  it("gives each real position of a right-padded batch the full graph's logits", async () => {
    const short = sourceIds("جون");
    const long = sourceIds("آتشيسون");
    const shortTarget = targetIds(["<s>", ..."jo"]);
    const longTarget = targetIds(["<s>", ..."achis"]);
    const [s, t] = [long.length, longTarget.length];
    const batch: Batch = {
      sources: [pad(short, s), long],
      sourceMask: [onesOf(short, s), onesOf(long, s)],
      targets: [pad(shortTarget, t), longTarget],
      targetMask: [onesOf(shortTarget, t), onesOf(longTarget, t)],
    };
    const full = await fullRun(batch);
    const steps = await cachedRun(
      batch,
      full.memory,
      longTarget.map(() => 1),
    );
    for (const [step, logits] of steps.entries()) {
      for (const [row, length] of [shortTarget.length, longTarget.length].entries()) {
        if (step >= length) continue;
        const diff = maxAbsDiff(slice(logits, row, 0, 1), slice(full.logits, row, step, step + 1));
        expect(diff, `row ${row}, step ${step}`).toBeLessThan(1e-5);
      }
    }
  });
});
