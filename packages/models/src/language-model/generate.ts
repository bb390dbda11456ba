import {
  checkLimit,
  type GenerationOptions,
  type GenerationResult,
  type LanguageModel,
  TokenscopeError,
  throwIfAborted,
} from "@tokenscope/core";
import { createRecomputeDecoder, type IncrementalDecoder } from "./incremental-decoder.ts";
import { createTokenChooser } from "./sampling.ts";

/**
 * Generates up to `maxNewTokens` tokens after `promptIds`: forced ids first, then a prefix, then
 * greedy or sampled choices, stopping after a stop token (EOS by default). The prompt goes through
 * `decoder` once and then one token per step (a KV cache makes a step cost one position); without a
 * decoder every step recomputes the whole sequence through `model.forward`. Forced ids need no
 * logits, so they are fed together with the next step that does. `maxNewTokens` above
 * `limits.newTokens` is refused before any work; `signal` is checked before every step, and each step
 * awaits the model, so Ctrl-C is seen between tokens.
 */
export async function generateTokens(
  model: LanguageModel,
  promptIds: number[],
  options: GenerationOptions,
  decoder: IncrementalDecoder = createRecomputeDecoder(model),
): Promise<GenerationResult> {
  if (promptIds.length === 0) {
    throw new TokenscopeError("INVALID_INPUT", "Generation needs at least one prompt token.", {
      hint: "Tokenize the prompt with special tokens (BOS) added.",
    });
  }
  const maxNewTokens = options.maxNewTokens ?? 32;
  checkLimit("newTokens", maxNewTokens, "maxNewTokens");
  const contextLength = model.info.contextLength;
  if (promptIds.length + maxNewTokens > contextLength) {
    throw new TokenscopeError(
      "PROMPT_TOO_LONG",
      `${promptIds.length} prompt tokens plus ${maxNewTokens} new tokens exceed the context of ${contextLength}.`,
      { hint: "Shorten the prompt or ask for fewer new tokens." },
    );
  }
  const choose = createTokenChooser(options);
  const stops = new Set(options.stopTokenIds ?? model.info.specialTokens.eos ?? []);
  // Forced decoding emits exactly the forced ids; a prefix is forced and then continued.
  const forced = options.forcedIds ?? options.prefixIds ?? [];
  const limit = options.forcedIds ? Math.min(maxNewTokens, options.forcedIds.length) : maxNewTokens;
  const ids: number[] = [];
  let unseen: number[] = [...promptIds];
  while (ids.length < limit) {
    throwIfAborted(options.signal);
    let next = forced[ids.length];
    if (next === undefined) {
      next = choose(await decoder.append(unseen));
      unseen = [];
    }
    ids.push(next);
    unseen.push(next);
    options.onProgress?.({ phase: "generate", completed: ids.length, total: limit });
    if (stops.has(next) && ids.length > forced.length) break;
  }
  return { ids, text: (await model.decodeTokens(ids, { after: promptIds })).text };
}
