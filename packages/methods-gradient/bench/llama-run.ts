import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type LanguageModel,
  type MethodSequence,
  type MethodSequenceOutput,
  parseParameters,
} from "@tokenscope/core";
import { loadModel, writeRandomHfFolder } from "@tokenscope/models/node";
import { saliency } from "../src/index.ts";
import { alternate, type TimedPair } from "./alternate.ts";
import { runIntegratedGradients } from "./completeness.ts";
import type { FlopShape } from "./flops.ts";
import { integratedGradientsLoop, type LoopStep, saliencyLoop } from "./per-step-loop.ts";
import { log } from "./table.ts";

/** Settings of the 12-layer run. */
export interface LlamaRunOptions {
  threads: number;
  promptTokens: number;
  newTokens: number;
  igPoints: number;
  saliencyRuns: number;
  igRuns: number;
  /** performance.now() time after which no further integrated-gradients round starts. */
  deadlineMs: number;
}

/** What the 12-layer run measured. */
export interface LlamaRun {
  shape: FlopShape;
  sequence: MethodSequence;
  saliency: TimedPair<MethodSequenceOutput, LoopStep[]>;
  integratedGradients: TimedPair<MethodSequenceOutput, LoopStep[]>;
}

/**
 * The sequence of `promptIds` and `newTokens` greedy tokens (no stop token), with one token per id:
 * generated once, then attributed as a forced target by every timed run, so that runs are identical.
 */
export async function generatedSequence(
  model: LanguageModel,
  promptIds: number[],
  newTokens: number,
): Promise<MethodSequence> {
  const generated = await model.generate!(promptIds, { maxNewTokens: newTokens, stopTokenIds: [] });
  const source = (await model.decodeTokens(promptIds)).tokens;
  const target = (await model.decodeTokens(generated.ids, { after: promptIds })).tokens;
  if (source.length !== promptIds.length || target.length !== newTokens)
    throw new Error("decodeTokens did not give one token per id");
  return { source, target, steps: target.map((_, index) => index) };
}

async function measure(model: LanguageModel, shape: FlopShape, options: LlamaRunOptions): Promise<LlamaRun> {
  // BOS, then ids spread over the vocabulary past the special tokens (0..5): a fixed, arbitrary prompt.
  const promptIds = [
    1,
    ...Array.from({ length: options.promptTokens - 1 }, (_, i) => 6 + ((i * 7919 + 104729) % 31990)),
  ];
  const sequence = await generatedSequence(model, promptIds, options.newTokens);
  log(`random llama: ${sequence.source.length} prompt ids, ${sequence.target.length} generated; warming up`);
  const saliencyParameters = parseParameters(saliency.parameters, {}, saliency.id);
  const oursSaliency = async (m: LanguageModel) => {
    const [output] = await saliency.run({
      model: m,
      sequences: [sequence],
      parameters: saliencyParameters,
      attributedFunction: { id: "probability", parameters: {} },
      attributeTarget: true,
    });
    return output!;
  };
  const oursIg = (m: LanguageModel) =>
    runIntegratedGradients(m, sequence, { n_steps: options.igPoints }, true);
  // Warm-up: builds every session both ways use (one session serves every batch size) at little cost.
  const first = { ...sequence, steps: [0] };
  await oursSaliency(model);
  await saliencyLoop(model, sequence);
  await runIntegratedGradients(model, first, { n_steps: 1 }, true);
  await integratedGradientsLoop(model, first, 1);
  log("warm-up done");
  const saliencyPair = await alternate(
    "saliency",
    model,
    oursSaliency,
    (m) => saliencyLoop(m, sequence),
    options.saliencyRuns,
    Number.POSITIVE_INFINITY,
  );
  const igPair = await alternate(
    `integrated_gradients (${options.igPoints} points)`,
    model,
    oursIg,
    (m) => integratedGradientsLoop(m, sequence, options.igPoints),
    options.igRuns,
    options.deadlineMs,
  );
  return { shape, sequence, saliency: saliencyPair, integratedGradients: igPair };
}

/**
 * The random Llama (12 layers, hidden 768, 12 heads, intermediate 2048, vocabulary 32000,
 * seed 7), written with the project's random-folder writer into a temporary folder and loaded
 * with `options.threads` intra-op threads; then saliency and integrated gradients, ours and the
 * per-step loop, timed alternately after a warm-up.
 */
export async function runLlama(options: LlamaRunOptions): Promise<LlamaRun> {
  const out = mkdtempSync(join(tmpdir(), "tokenscope-attribution-bench-"));
  try {
    const { config } = await writeRandomHfFolder({
      architecture: "llama",
      layers: 12,
      hidden: 768,
      heads: 12,
      intermediate: 2048,
      vocab: 32000,
      seed: 7,
      out,
    });
    const shape: FlopShape = {
      layers: config.numLayers,
      hidden: config.hiddenSize,
      heads: config.numHeads,
      kvHeads: config.numKeyValueHeads ?? config.numHeads,
      headDim: config.headDim ?? config.hiddenSize / config.numHeads,
      intermediate: config.intermediateSize,
      vocab: config.vocabSize,
    };
    const model = await loadModel(out, { threads: options.threads });
    try {
      return await measure(model, shape, options);
    } finally {
      await model.dispose?.();
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
