import { type BartWeights, buildBartGraph } from "../../graphs/encoder-decoder/bart.ts";
import {
  buildBartCachedDecoderGraph,
  buildBartCrossKeyValueGraph,
  buildBartEncoderGraph,
} from "../../graphs/encoder-decoder/bart-cached-decoder.ts";
import { bartTokenTableName } from "../../graphs/encoder-decoder/bart-names.ts";
import type { EncoderDecoderFamily, EncoderDecoderTokenizer } from "../family.ts";
import { type HfFamilyTokens, hfFamilyTokens, sharedVocabularyDims } from "./hf-tokens.ts";

/**
 * A Hugging Face BART-family model (BART, mBART, Marian / opus-mt) as an
 * {@link EncoderDecoderFamily}: `buildBartGraph` and its cached graphs, one vocabulary for source
 * and target, the config's decoder start, EOS, pad and forced BOS. The longest source plus target
 * is `max_position_embeddings`, the rows of the learned position tables (Marian's sinusoids have
 * none, but its checkpoints were trained to that length).
 */
export function bartFamily(
  weights: BartWeights,
  tokenizer: EncoderDecoderTokenizer,
  extra: HfFamilyTokens = {},
): EncoderDecoderFamily {
  const { config, tensors } = weights;
  return {
    architecture: config.architecture,
    dims: sharedVocabularyDims(config),
    contextLength: config.maxPositionEmbeddings,
    fullGraph: (options) => buildBartGraph(weights, options).model,
    encoderGraph: () => buildBartEncoderGraph(weights),
    crossKeyValueGraph: () => buildBartCrossKeyValueGraph(weights),
    cachedDecoderGraph: () => buildBartCachedDecoderGraph(weights),
    tables: {
      source: tensors.get(bartTokenTableName(tensors, config, "encoder"))!.data,
      target: tensors.get(bartTokenTableName(tensors, config, "decoder"))!.data,
    },
    tokens: hfFamilyTokens(config, extra),
    tokenizer,
  };
}
