import type { LanguageModel, MethodSequence, MethodSequenceOutput, Token } from "@tokenscope/core";
import { rawRow } from "./testing.test-helpers.ts";

/** The vocabulary ids of tokens. */
export const idsOf = (tokens: readonly Token[]) => tokens.map((token) => token.id!);

/** Tokens of `text` continuing `promptIds` (no BOS, no dummy-prefix space). */
export async function continuation(
  model: LanguageModel,
  promptIds: number[],
  text: string,
): Promise<Token[]> {
  const ids = idsOf((await model.tokenize(text, { addSpecialTokens: false, continuation: true })).tokens);
  return (await model.decodeTokens(ids, { after: promptIds })).tokens;
}

/**
 * A contrastive sequence built by hand: `prompt` (BOS added) and `target`, compared with `contrast`
 * after `contrastPrompt` (the prompt itself when absent, sharing it), aligned identically or to the
 * right.
 */
export async function contrastSequence(
  model: LanguageModel,
  options: { prompt: string; target: string; contrast?: string; contrastPrompt?: string; align?: "right" },
): Promise<MethodSequence> {
  const source = (await model.tokenize(options.prompt, { addSpecialTokens: true })).tokens;
  const target = await continuation(model, idsOf(source), options.target);
  const contrastSource = options.contrastPrompt
    ? (await model.tokenize(options.contrastPrompt, { addSpecialTokens: true })).tokens
    : source;
  const contrastTarget = options.contrast
    ? await continuation(model, idsOf(contrastSource), options.contrast)
    : target;
  const shift = options.align === "right" ? contrastTarget.length - target.length : 0;
  return {
    source,
    target,
    steps: target.map((_, t) => t),
    contrast: {
      source: contrastSource,
      sharesSource: options.contrastPrompt === undefined,
      target: contrastTarget,
      alignment: target.map((_, t) => t + shift),
    },
  };
}

/** The contrast input of step t, computed here from the sequence's own fields. */
export function contrastIds(sequence: MethodSequence, t: number): number[] {
  const contrast = sequence.contrast!;
  return [...idsOf(contrast.source), ...idsOf(contrast.target.slice(0, contrast.alignment[t]!))];
}

/** Step t's gradient row over the positions it can see: the source, then target-prefix u < t. */
export function fullRow(output: MethodSequenceOutput, t: number, hidden: number) {
  return [...rawRow(output.source, t), ...rawRow(output.target!, t).subarray(0, t * hidden)];
}
