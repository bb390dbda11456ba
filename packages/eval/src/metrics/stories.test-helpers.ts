import { fileURLToPath } from "node:url";
import { type AttributionResult, type LanguageModel, seededUniform, type Token } from "@tokenscope/core";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { loadModel } from "@tokenscope/models/node";

/** The real stories260K model beside the repository (never copied into it). */
export const storiesPath = fileURLToPath(
  new URL("../../../../../shared/models/stories260K", import.meta.url),
);

/** Loads stories260K. */
export function loadStories(): Promise<LanguageModel> {
  return loadModel(storiesPath);
}

/** Options of {@link storiesResult}. */
export interface StoriesResultOptions {
  prompt?: string;
  newTokens?: number;
  seed?: number;
  /** Steps left unattributed (empty rows), as a step range leaves them. */
  skipSteps?: number[];
  /** Drop the target-prefix matrix. */
  noTargetAttributions?: boolean;
  /** Signed scores instead of non-negative ones. */
  signed?: boolean;
}

/**
 * A result on stories260K with the model's own greedy continuation as target and seeded,
 * saliency-like importance (non-negative, each step's source and prefix cells summing to 1), built by
 * hand with real token ids so the metrics can be checked against direct forward passes.
 */
export async function storiesResult(
  model: LanguageModel,
  options: StoriesResultOptions = {},
): Promise<AttributionResult> {
  const prompt = options.prompt ?? "Once upon a time";
  const source = (await model.tokenize(prompt, { addSpecialTokens: true })).tokens;
  const promptIds = source.map((token) => token.id!);
  const generated = await model.generate!(promptIds, { maxNewTokens: options.newTokens ?? 4 });
  const target = (await model.decodeTokens(generated.ids, { after: promptIds })).tokens;
  const next = seededUniform(options.seed ?? 3);
  const sourceAttributions: (number | null)[][] = [];
  const targetAttributions: (number | null)[][] = [];
  target.forEach((_, t) => {
    const skip = options.skipSteps?.includes(t) ?? false;
    const raw = Array.from({ length: source.length + t }, () =>
      options.signed ? next() * 2 - 1 : next() ** 2,
    );
    const total = raw.reduce((sum, value) => sum + Math.abs(value), 0);
    const scores = raw.map((value) => value / total);
    sourceAttributions.push(source.map((__, s) => (skip ? null : scores[s]!)));
    targetAttributions.push(target.map((__, u) => (skip || u >= t ? null : scores[source.length + u]!)));
  });
  const spec = (token: Token) => ({ ...token });
  const sequence = makeSequence({
    source: source.map(spec),
    target: target.map(spec),
    sourceText: prompt,
    targetText: generated.text,
    sourceAttributions,
    targetAttributions: options.noTargetAttributions ? null : targetAttributions,
  });
  return makeResult([sequence], { modelId: model.info.id });
}
