import type { LanguageModel } from "@tokenscope/core";
import type { RandomStream } from "../shared/random.ts";
import type { StepTask } from "../shared/step-tasks.ts";
import { vocabularyTags } from "./pos-tags.ts";

/** Draws a replacement for the token at `position` of `task`'s input. */
export type TokenSampler = (task: StepTask, position: number, random: RandomStream) => number;

/** Which replacement tokens ReAGent draws. */
export type SamplerKind = "uniform" | "pos" | "model";

function nonSpecialIds(model: LanguageModel, vocabSize: number): number[] {
  const { specialTokens } = model.info;
  const special = new Set([
    specialTokens.bos,
    specialTokens.pad,
    specialTokens.unk,
    ...(specialTokens.eos ?? []),
  ]);
  return Array.from({ length: vocabSize }, (_, id) => id).filter((id) => !special.has(id));
}

/**
 * Whether `position` of `task`'s row holds a source token of an encoder-decoder with a source
 * vocabulary of its own, whose replacements come from that vocabulary.
 */
export function isOwnSourcePosition(model: LanguageModel, task: StepTask, position: number): boolean {
  return model.info.sourceVocabSize !== undefined && position < task.sourceLength;
}

/**
 * Uniform over the vocabulary without special tokens (ReAGent's UniformTokenSampler); on an
 * encoder-decoder with its own source vocabulary, a source position draws from that vocabulary.
 */
export function uniformSampler(model: LanguageModel): TokenSampler {
  const candidates = nonSpecialIds(model, model.info.vocabSize);
  const sourceCandidates = nonSpecialIds(model, model.info.sourceVocabSize ?? model.info.vocabSize);
  return (task, position, random) => {
    const from = isOwnSourcePosition(model, task, position) ? sourceCandidates : candidates;
    return from[random.int(0, from.length - 1)]!;
  };
}

/**
 * Uniform over the tokens whose part of speech matches the replaced token's
 * (ReAGent's POSTagTokenSampler, with wink-nlp's universal tags); uniform
 * over the vocabulary when the token has no tag (a special token). The tags
 * are of the (target) vocabulary that `decodeTokens` reads: source positions
 * of an encoder-decoder with its own source vocabulary draw uniformly from it.
 */
export async function posSampler(model: LanguageModel): Promise<TokenSampler> {
  const tags = await vocabularyTags(model);
  const byTag = new Map<string, number[]>();
  tags.forEach((tag, id) => {
    if (tag === null) return;
    const ids = byTag.get(tag);
    if (ids) ids.push(id);
    else byTag.set(tag, [id]);
  });
  const fallback = uniformSampler(model);
  return (task, position, random) => {
    if (isOwnSourcePosition(model, task, position)) return fallback(task, position, random);
    const tag = tags[task.ids[position]!];
    const candidates = tag === null || tag === undefined ? undefined : byTag.get(tag);
    return candidates ? candidates[random.int(0, candidates.length - 1)]! : fallback(task, position, random);
  };
}

/**
 * Draws from the model's own predictive distribution at the position, given
 * the original tokens before it (ReAGent's inferential sampler, sampling
 * instead of taking the argmax so that replacements vary): `cdfs(task)` gives,
 * per position p ≥ 1, the cumulative distribution of softmax(logits at p − 1).
 * Position 0, and an encoder-decoder's source positions (the encoder predicts
 * nothing), have no prediction and draw uniformly.
 */
export function modelSampler(model: LanguageModel, cdfs: (task: StepTask) => Float64Array[]): TokenSampler {
  const fallback = uniformSampler(model);
  return (task, position, random) => {
    const cdf = position > 0 ? cdfs(task)[position - 1] : undefined;
    if (!cdf) return fallback(task, position, random);
    const draw = random.float() * cdf[cdf.length - 1]!;
    let low = 0;
    let high = cdf.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cdf[middle]! > draw) high = middle;
      else low = middle + 1;
    }
    return low;
  };
}
