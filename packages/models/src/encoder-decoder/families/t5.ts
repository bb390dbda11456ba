import { buildT5Graph, type T5Weights } from "../../graphs/encoder-decoder/t5.ts";
import {
  buildT5CachedDecoderGraph,
  buildT5CrossKeyValueGraph,
  buildT5EncoderGraph,
} from "../../graphs/encoder-decoder/t5-cached-decoder.ts";
import { t5Names } from "../../graphs/encoder-decoder/t5-names.ts";
import type { EncoderDecoderFamily, EncoderDecoderTokenizer } from "../family.ts";
import { type HfFamilyTokens, hfFamilyTokens, sharedVocabularyDims } from "./hf-tokens.ts";

/**
 * Longest source plus target of a T5 model: relative positions have no limit of their own; this
 * is `n_positions` of the original checkpoints (512), so that a runaway request is refused.
 */
const T5_CONTEXT_LENGTH = 512;

/**
 * A Hugging Face T5 model (T5, T5 v1.1, flan-t5) as an {@link EncoderDecoderFamily}:
 * `buildT5Graph` and its cached graphs, `shared.weight` as both stacks' token table, the decoder
 * starting from the pad token (the config's `decoder_start_token_id`).
 */
export function t5Family(
  weights: T5Weights,
  tokenizer: EncoderDecoderTokenizer,
  extra: HfFamilyTokens & { contextLength?: number } = {},
): EncoderDecoderFamily {
  const { config, tensors } = weights;
  const table = tensors.get(t5Names.shared)!.data;
  return {
    architecture: config.architecture,
    dims: sharedVocabularyDims(config),
    contextLength: extra.contextLength ?? T5_CONTEXT_LENGTH,
    fullGraph: (options) => buildT5Graph(weights, options).model,
    encoderGraph: () => buildT5EncoderGraph(weights),
    crossKeyValueGraph: () => buildT5CrossKeyValueGraph(weights),
    cachedDecoderGraph: () => buildT5CachedDecoderGraph(weights),
    tables: { source: table, target: table },
    tokens: hfFamilyTokens(config, extra),
    tokenizer,
  };
}
