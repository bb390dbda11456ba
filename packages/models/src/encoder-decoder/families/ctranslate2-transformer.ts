import { TokenscopeError } from "@tokenscope/core";
import type { CTranslate2Vocabulary } from "../../formats/ctranslate2/vocabulary.ts";
import {
  buildCachedDecoderGraph,
  buildCrossKeyValueGraph,
} from "../../graphs/encoder-decoder/cached-decoder.ts";
import { buildTransformerGraph } from "../../graphs/encoder-decoder/transformer.ts";
import { transformerNames } from "../../graphs/encoder-decoder/transformer-names.ts";
import type { EncoderDecoderWeights } from "../../graphs/encoder-decoder/types.ts";
import { characterTokens, decodeCharacterTokens } from "../character-tokenizer.ts";
import type { EncoderDecoderFamily } from "../family.ts";
import { buildSplitTransformerGraphs } from "../split-graph.ts";

/** What `loadCTranslate2TransformerFolder` reads: weights and the two vocabularies. */
export interface CTranslate2TransformerParts {
  /** Where the model came from, for error messages. */
  id: string;
  weights: EncoderDecoderWeights;
  sourceVocabulary: CTranslate2Vocabulary;
  targetVocabulary: CTranslate2Vocabulary;
}

/**
 * Longest source plus target the model accepts. Sinusoidal positions have no limit of their own;
 * this is CTranslate2's default `max_input_length` (1024), so that a runaway request is refused.
 */
const CONTEXT_LENGTH = 1024;

/**
 * A character-level CTranslate2 Transformer (TransformerBase / TransformerBig) as an
 * {@link EncoderDecoderFamily}: `buildTransformerGraph` and its split and cached graphs, separate
 * source and target vocabularies split into Unicode code points (`characterTokens`: `<unk>` for a
 * character the vocabulary lacks, no BOS/EOS), decoding from the target's `<s>`.
 * @throws TokenscopeError MODEL_LOAD_FAILED when the target vocabulary has no `<s>`.
 */
export function ctranslate2TransformerFamily(parts: CTranslate2TransformerParts): EncoderDecoderFamily {
  const { weights, sourceVocabulary, targetVocabulary } = parts;
  const config = weights.config;
  const start = config.decoderStartTokenId ?? targetVocabulary.ids.get("<s>");
  if (start === undefined) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `${parts.id}: the target vocabulary has no <s>, so decoding has no start token.`,
      {
        hint: "A CTranslate2 Transformer's target vocabulary holds <s> and </s>.",
        details: { id: parts.id },
      },
    );
  }
  const eos = config.eosTokenId ?? targetVocabulary.ids.get("</s>");
  const pad = sourceVocabulary.ids.get("<blank>");
  return {
    architecture: config.architecture,
    dims: config,
    contextLength: CONTEXT_LENGTH,
    fullGraph: (options) => buildTransformerGraph(weights, options).model,
    encoderGraph: () => buildSplitTransformerGraphs(weights).encoder,
    crossKeyValueGraph: () => buildCrossKeyValueGraph(weights),
    cachedDecoderGraph: () => buildCachedDecoderGraph(weights),
    tables: {
      source: weights.tensors.get(transformerNames.tokenEmbedding("encoder"))!.data,
      target: weights.tensors.get(transformerNames.tokenEmbedding("decoder"))!.data,
    },
    tokens: {
      start,
      ...(eos !== undefined ? { eos } : {}),
      ...(pad !== undefined ? { pad } : {}),
      unk: sourceVocabulary.unknownId,
    },
    tokenizer: {
      description: `characters (CTranslate2 vocabularies: ${sourceVocabulary.tokens.length} source, ${targetVocabulary.tokens.length} target)`,
      source: async (text) => characterTokens(sourceVocabulary, text),
      target: async (text) => characterTokens(targetVocabulary, text),
      decode: async (ids) => decodeCharacterTokens(targetVocabulary, ids).text,
      decodeTokens: async (ids) => decodeCharacterTokens(targetVocabulary, ids),
    },
  };
}
