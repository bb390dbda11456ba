import {
  type GenerationOptions,
  type GenerationResult,
  type LanguageModel,
  TokenscopeError,
  throwIfAborted,
} from "@tokenscope/core";
import { createTokenChooser } from "./sampling.ts";
import type { TextTokenizer } from "./text-tokenizer.ts";

/**
 * Generates up to `maxNewTokens` tokens after `promptIds`: forced ids first, then a prefix, then
 * greedy or sampled choices, stopping after a stop token (EOS by default). Each step computes the
 * logits of the last position only.
 */
export async function generateTokens(
  model: LanguageModel,
  tokenizer: TextTokenizer,
  promptIds: number[],
  options: GenerationOptions,
): Promise<GenerationResult> {
  if (promptIds.length === 0) {
    throw new TokenscopeError("INVALID_INPUT", "Generation needs at least one prompt token.", {
      hint: "Tokenize the prompt with special tokens (BOS) added.",
    });
  }
  const maxNewTokens = options.maxNewTokens ?? 32;
  const contextLength = model.info.contextLength;
  if (promptIds.length + maxNewTokens > contextLength) {
    throw new TokenscopeError(
      "PROMPT_TOO_LONG",
      `${promptIds.length} prompt tokens plus ${maxNewTokens} new tokens exceed the context of ${contextLength}.`,
      { hint: "Shorten the prompt or ask for fewer new tokens." },
    );
  }
  const choose = createTokenChooser(options);
  const stops = new Set(options.stopTokenIds ?? tokenizer.specialTokens.eos ?? []);
  // Forced decoding emits exactly the forced ids; a prefix is forced and then continued.
  const forced = options.forcedIds ?? options.prefixIds ?? [];
  const limit = options.forcedIds ? Math.min(maxNewTokens, options.forcedIds.length) : maxNewTokens;
  const ids: number[] = [];
  while (ids.length < limit) {
    throwIfAborted(options.signal);
    let next = forced[ids.length];
    if (next === undefined) {
      const sequence = [...promptIds, ...ids];
      const { logits } = await model.forward!({
        inputs: { ids: [sequence] },
        positions: [[sequence.length - 1]],
      });
      next = choose(logits.data);
    }
    ids.push(next);
    options.onProgress?.({ phase: "generate", completed: ids.length, total: limit });
    if (stops.has(next) && ids.length > forced.length) break;
  }
  return { ids, text: (await tokenizer.decodeTokens(ids, promptIds)).text };
}
