import {
  type Capability,
  type ExecutionInfo,
  type LanguageModel,
  type ModelInfo,
  TokenscopeError,
} from "@tokenscope/core";
import type { OnnxModel, RuntimeSession, SessionOptions, TensorRuntime } from "@tokenscope/tensor-backends";
import type { CTranslate2Vocabulary } from "../formats/ctranslate2/vocabulary.ts";
import {
  buildCachedDecoderGraph,
  buildCrossKeyValueGraph,
} from "../graphs/encoder-decoder/cached-decoder.ts";
import { buildTransformerGraph } from "../graphs/encoder-decoder/transformer.ts";
import { transformerNames } from "../graphs/encoder-decoder/transformer-names.ts";
import type { EncoderDecoderWeights } from "../graphs/encoder-decoder/types.ts";
import { generateTokens } from "../language-model/generate.ts";
import { characterTokens, decodeCharacterTokens } from "./character-tokenizer.ts";
import { type EncoderDecoderEmbeddingTables, embedEncoderDecoderRows } from "./embedding-rows.ts";
import { createEncoderDecoderForward, type EncoderDecoderGraphVariant } from "./forward.ts";
import { createEncoderDecoderGradients, encoderDecoderGradientGraph } from "./gradients.ts";
import { createEncoderDecoderKvCacheDecoder, type EncoderDecoderSessions } from "./kv-cache-decoder.ts";
import { buildSplitTransformerGraphs } from "./split-graph.ts";

/** Options of {@link createEncoderDecoderLanguageModel}. */
export interface EncoderDecoderModelOptions {
  /** The reference the model was loaded from (a path). */
  id: string;
  weights: EncoderDecoderWeights;
  sourceVocabulary: CTranslate2Vocabulary;
  targetVocabulary: CTranslate2Vocabulary;
  runtime: TensorRuntime;
  sessionOptions?: SessionOptions;
  /** Where the model runs, as the loader found it (stored in `info`). */
  execution?: ExecutionInfo;
}

/**
 * Longest source plus target the model accepts. Sinusoidal positions have no limit of their own;
 * this is CTranslate2's default `max_input_length` (1024), so that a runaway request is refused.
 */
const CONTEXT_LENGTH = 1024;

/** Why layer gradients are not offered yet, for the MISSING_CAPABILITY a method gets. */
const noLayerGradients =
  "an encoder-decoder's gradients are taken with respect to its input embeddings (encoder and decoder) only, not a layer's residual stream";

/**
 * A character-level Transformer encoder-decoder (CTranslate2 TransformerBase / TransformerBig, as
 * `loadCTranslate2TransformerFolder` reads it) behind core's {@link LanguageModel}: capabilities
 * `tokenize`, `forward`, `generate`, `embed`, `gradients`, taps of every attention (encoder self-,
 * decoder self- and cross-attention, `taps.stack`), residual and MLP, and value zeroing of any of
 * them; `info.encoderDecoder` true, `info.encoderLayers` the encoder's depth.
 *
 * - `embed(ids, { sourceLengths })` and `gradients` read the same [source | target] rows: source
 *   positions from the encoder's table, target positions from the decoder's; gradients are taken
 *   with respect to those embeddings only (`gradients.ts`), `<s>` being a constant decoder input.
 *
 * - `forward` reads rows laid out as a decoder-only model's, [source | target] with
 *   `inputs.sourceLengths` (see `createEncoderDecoderForward`): position `sourceLength − 1 + t`
 *   predicts target token t, so step scores and perturbation methods run unchanged.
 *
 * - `tokenize(text)` gives the SOURCE tokens: one per Unicode code point, `<unk>` for characters the
 *   source vocabulary lacks, spans into the text, no BOS/EOS. With `continuation: true` (a forced
 *   target after its prompt) the text is split on the TARGET vocabulary instead.
 * - `detokenize` / `decodeTokens` read TARGET ids: characters joined, `<blank>`, `<s>`, `</s>` and
 *   `<unk>` special (no characters); `after` is ignored (the source does not continue into the target).
 * - `generate(sourceIds)` decodes from `<s>` until `</s>` (kept as the last id, as for causal
 *   models) or `maxNewTokens`, greedy or sampled, with stop tokens, forced ids and prefixes
 *   (`generateTokens`). The source is encoded once per generation (an encoder graph cut out of
 *   `buildTransformerGraph`'s) and every decoder layer's cross-attention keys and values are
 *   projected from it once (`buildCrossKeyValueGraph`); each step then runs the cached decoder
 *   (`buildCachedDecoderGraph`) over the new target ids only, with a KV cache of the earlier ones.
 *
 * `info.specialTokens`: `bos`/`eos` are the target's `<s>`/`</s>` (what generation starts from and
 * stops at); `unk`/`pad` are the source's `<unk>`/`<blank>` (what baselines write into a source).
 */
export function createEncoderDecoderLanguageModel(options: EncoderDecoderModelOptions): LanguageModel {
  const { weights, sourceVocabulary, targetVocabulary } = options;
  const config = weights.config;
  const startId = config.decoderStartTokenId ?? targetVocabulary.ids.get("<s>");
  const endId = config.eosTokenId ?? targetVocabulary.ids.get("</s>");
  if (startId === undefined) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `${options.id}: the target vocabulary has no <s>, so decoding has no start token.`,
      {
        hint: "A CTranslate2 Transformer's target vocabulary holds <s> and </s>.",
        details: { id: options.id },
      },
    );
  }
  const padId = sourceVocabulary.ids.get("<blank>");
  const info: ModelInfo = {
    id: options.id,
    architecture: config.architecture,
    vocabSize: config.targetVocabSize,
    hiddenSize: config.hiddenSize,
    numLayers: config.decoderLayers,
    numHeads: config.numHeads,
    numKeyValueHeads: config.numHeads,
    contextLength: CONTEXT_LENGTH,
    encoderDecoder: true,
    encoderLayers: config.encoderLayers,
    sourceVocabSize: config.sourceVocabSize,
    specialTokens: {
      bos: startId,
      ...(endId !== undefined ? { eos: [endId] } : {}),
      ...(padId !== undefined ? { pad: padId } : {}),
      unk: sourceVocabulary.unknownId,
    },
    ...(options.execution ? { execution: options.execution } : {}),
  };
  const capabilities = new Set<Capability>([
    "tokenize",
    "forward",
    "generate",
    "embed",
    "gradients",
    "taps.attention",
    "taps.values",
    "taps.residual",
    "taps.mlp",
    "interventions.valueZeroing",
  ]);
  const capabilityNotes: Partial<Record<Capability, string>> = { "gradients.layer": noLayerGradients };

  let sessions: Promise<EncoderDecoderSessions> | undefined;
  const sessionsOf = () => {
    sessions ??= (async () => {
      const sessionOptions = options.sessionOptions ?? {};
      const graphs: Array<[keyof EncoderDecoderSessions, () => OnnxModel]> = [
        ["encoder", () => buildSplitTransformerGraphs(weights).encoder],
        ["crossKeyValues", () => buildCrossKeyValueGraph(weights)],
        ["decoder", () => buildCachedDecoderGraph(weights)],
      ];
      const started: Partial<EncoderDecoderSessions> = {};
      try {
        for (const [name, build] of graphs) {
          started[name] = await options.runtime.createSession(build(), sessionOptions);
        }
        return started as EncoderDecoderSessions;
      } catch (error) {
        await Promise.all(Object.values(started).map((session) => session.dispose()));
        throw error;
      }
    })();
    // A failed start is not kept: the next call tries again.
    sessions.catch(() => {
      sessions = undefined;
    });
    return sessions;
  };

  function checkSource(ids: readonly number[]): void {
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= config.sourceVocabSize);
    if (bad !== undefined) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Source token id ${bad} is outside the source vocabulary [0, ${config.sourceVocabSize}).`,
        { hint: "Pass the ids model.tokenize() gives for the source text." },
      );
    }
  }

  // The whole graph (source and target at once) for forward passes, built on first use per variant
  // (ids or embeddings, taps, value masks), and the embeds graph with a backward pass for gradients.
  const fullSessions = new Map<string, Promise<RuntimeSession>>();
  const fullSession = (variant: EncoderDecoderGraphVariant | "gradients") => {
    const key = JSON.stringify(variant);
    let session = fullSessions.get(key);
    if (!session) {
      session = options.runtime.createSession(
        variant === "gradients"
          ? encoderDecoderGradientGraph(buildTransformerGraph(weights, { input: "embeds" }).model)
          : buildTransformerGraph(weights, {
              input: variant.input,
              taps: variant.taps,
              valueZeroing: variant.valueZeroing,
            }).model,
        options.sessionOptions ?? {},
      );
      fullSessions.set(key, session);
      // A failed start is not kept: the next call tries again.
      session.catch(() => fullSessions.delete(key));
    }
    return session;
  };
  const tables: EncoderDecoderEmbeddingTables = {
    hiddenSize: config.hiddenSize,
    source: weights.tensors.get(transformerNames.tokenEmbedding("encoder"))!.data,
    target: weights.tensors.get(transformerNames.tokenEmbedding("decoder"))!.data,
    startId,
  };
  const forward = createEncoderDecoderForward({
    startId,
    padId: padId ?? 0,
    sourceVocabSize: config.sourceVocabSize,
    targetVocabSize: config.targetVocabSize,
    layout: config,
    session: fullSession,
    embeds: { tables },
  });
  const gradients = createEncoderDecoderGradients({
    tables,
    targetVocabSize: config.targetVocabSize,
    forward,
    session: () => fullSession("gradients"),
  });

  const model: LanguageModel = {
    info,
    capabilities,
    capabilityNotes,
    forward,
    embed: async (ids: number[][], embedOptions: { sourceLengths?: number[] } = {}) =>
      embedEncoderDecoderRows(tables, ids, embedOptions.sourceLengths),
    gradients,
    tokenize: async (text, tokenizeOptions = {}) => ({
      text,
      tokens: characterTokens(tokenizeOptions.continuation ? targetVocabulary : sourceVocabulary, text),
    }),
    detokenize: async (ids) => decodeCharacterTokens(targetVocabulary, ids).text,
    decodeTokens: async (ids) => decodeCharacterTokens(targetVocabulary, ids),
    generate: async (promptIds, generation = {}) => {
      checkSource(promptIds);
      const decoder = createEncoderDecoderKvCacheDecoder({
        config,
        startId: startId!,
        sourceLength: promptIds.length,
        sessions: sessionsOf,
      });
      return generateTokens(model, promptIds, generation, decoder);
    },
    dispose: async () => {
      const full = [...fullSessions.values()];
      fullSessions.clear();
      await Promise.all(full.map(async (session) => (await session.catch(() => undefined))?.dispose()));
      const pending = sessions;
      sessions = undefined;
      const started = await pending?.catch(() => undefined);
      if (started) {
        await Promise.all(Object.values(started).map((session: RuntimeSession) => session.dispose()));
      }
    },
  };
  return model;
}
