import {
  type Capability,
  type ExecutionInfo,
  type LanguageModel,
  type ModelInfo,
  TokenscopeError,
} from "@tokenscope/core";
import type { OnnxModel, RuntimeSession, SessionOptions, TensorRuntime } from "@tokenscope/tensor-backends";
import { generateTokens } from "../language-model/generate.ts";
import type { IncrementalDecoder } from "../language-model/incremental-decoder.ts";
import { type EncoderDecoderEmbeddingTables, embedEncoderDecoderRows } from "./embedding-rows.ts";
import type { EncoderDecoderFamily } from "./family.ts";
import { createEncoderDecoderForward, type EncoderDecoderGraphVariant } from "./forward.ts";
import { createEncoderDecoderGradients, encoderDecoderGradientGraph } from "./gradients.ts";
import { createEncoderDecoderKvCacheDecoder, type EncoderDecoderSessions } from "./kv-cache-decoder.ts";

/** Options of {@link createEncoderDecoderLanguageModel}. */
export interface EncoderDecoderModelOptions {
  /** The reference the model was loaded from (a path or hub id). */
  id: string;
  /** Hub revision (commit when known) the files came from. */
  revision?: string;
  /** The family's graphs, tables, tokens and tokenizer (`ctranslate2TransformerFamily`, `bartFamily`, `t5Family`). */
  family: EncoderDecoderFamily;
  runtime: TensorRuntime;
  sessionOptions?: SessionOptions;
  /** Where the model runs, as the loader found it (stored in `info`). */
  execution?: ExecutionInfo;
}

/** Why layer gradients are not offered yet, for the MISSING_CAPABILITY a method gets. */
const noLayerGradients =
  "an encoder-decoder's gradients are taken with respect to its input embeddings (encoder and decoder) only, not a layer's residual stream";

/** A decoder whose logits never choose `suppressed` ids (Marian's `bad_words_ids`). */
function suppressing(decoder: IncrementalDecoder, suppressed: readonly number[]): IncrementalDecoder {
  if (suppressed.length === 0) return decoder;
  return {
    async append(ids) {
      const logits = Float32Array.from(await decoder.append(ids));
      for (const id of suppressed) logits[id] = Number.NEGATIVE_INFINITY;
      return logits;
    },
  };
}

/**
 * An encoder-decoder of any family ({@link EncoderDecoderFamily}: CTranslate2 Transformer, BART /
 * mBART / Marian, T5) behind core's {@link LanguageModel}: capabilities `tokenize`, `forward`,
 * `generate`, `embed`, `gradients`, taps of every attention (encoder self-, decoder self- and
 * cross-attention, `taps.stack`), residual and MLP, and value zeroing of any of them;
 * `info.encoderDecoder` true, `info.encoderLayers` the encoder's depth.
 *
 * - `embed(ids, { sourceLengths })` and `gradients` read the same [source | target] rows: source
 *   positions from the encoder's table, target positions from the decoder's; gradients are taken
 *   with respect to those embeddings only (`gradients.ts`), the start token being a constant
 *   decoder input.
 *
 * - `forward` reads rows laid out as a decoder-only model's, [source | target] with
 *   `inputs.sourceLengths` (see `createEncoderDecoderForward`): position `sourceLength − 1 + t`
 *   predicts target token t, so step scores and perturbation methods run unchanged.
 *
 * - `tokenize(text)` gives the SOURCE tokens, with the family's special tokens (`</s>` for the
 *   Hugging Face families) unless `addSpecialTokens: false`. With `continuation: true` (a forced
 *   target after its prompt) the text is split as a TARGET instead, without special tokens.
 * - `detokenize` / `decodeTokens` read TARGET ids, special tokens taking no characters; `after` is
 *   ignored (the source does not continue into the target).
 * - `generate(sourceIds)` decodes from the start token until EOS (kept as the last id, as for
 *   causal models) or `maxNewTokens`, greedy or sampled, with stop tokens, forced ids and prefixes
 *   (`generateTokens`). The source is encoded once per generation and every decoder layer's
 *   cross-attention keys and values are projected from it once; each step then runs the cached
 *   decoder over the new target ids only, with a KV cache of the earlier ones. Ids the family
 *   suppresses are never chosen.
 *
 * `info.specialTokens`: `bos` is the decoder's start token, `eos` what generation stops at; `unk` /
 * `pad` are what baselines write into a source. `info.forcedBosTokenId` and `info.languageCodes`
 * come from the family (config, tokenizer).
 */
export function createEncoderDecoderLanguageModel(options: EncoderDecoderModelOptions): LanguageModel {
  const { family } = options;
  const { dims, tokens } = family;
  const startId = tokens.start;
  const info: ModelInfo = {
    id: options.id,
    ...(options.revision ? { revision: options.revision } : {}),
    architecture: family.architecture,
    vocabSize: dims.targetVocabSize,
    hiddenSize: dims.hiddenSize,
    numLayers: dims.decoderLayers,
    numHeads: dims.numHeads,
    numKeyValueHeads: dims.numHeads,
    contextLength: family.contextLength,
    encoderDecoder: true,
    encoderLayers: dims.encoderLayers,
    sourceVocabSize: dims.sourceVocabSize,
    specialTokens: {
      bos: startId,
      ...(tokens.eos !== undefined ? { eos: [tokens.eos] } : {}),
      ...(tokens.pad !== undefined ? { pad: tokens.pad } : {}),
      ...(tokens.unk !== undefined ? { unk: tokens.unk } : {}),
    },
    ...(tokens.forcedBos !== undefined ? { forcedBosTokenId: tokens.forcedBos } : {}),
    ...(tokens.languageCodes ? { languageCodes: { ...tokens.languageCodes } } : {}),
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
        ["encoder", family.encoderGraph],
        ["crossKeyValues", family.crossKeyValueGraph],
        ["decoder", family.cachedDecoderGraph],
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
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= dims.sourceVocabSize);
    if (bad !== undefined) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Source token id ${bad} is outside the source vocabulary [0, ${dims.sourceVocabSize}).`,
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
          ? encoderDecoderGradientGraph(family.fullGraph({ input: "embeds" }))
          : family.fullGraph({
              input: variant.input,
              taps: variant.taps,
              valueZeroing: variant.valueZeroing,
            }),
        options.sessionOptions ?? {},
      );
      fullSessions.set(key, session);
      // A failed start is not kept: the next call tries again.
      session.catch(() => fullSessions.delete(key));
    }
    return session;
  };
  const tables: EncoderDecoderEmbeddingTables = {
    hiddenSize: dims.hiddenSize,
    source: family.tables.source,
    target: family.tables.target,
    startId,
  };
  const forward = createEncoderDecoderForward({
    startId,
    padId: tokens.pad ?? 0,
    sourceVocabSize: dims.sourceVocabSize,
    targetVocabSize: dims.targetVocabSize,
    layout: dims,
    session: fullSession,
    embeds: { tables },
  });
  const gradients = createEncoderDecoderGradients({
    tables,
    targetVocabSize: dims.targetVocabSize,
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
      tokens: tokenizeOptions.continuation
        ? await family.tokenizer.target(text)
        : await family.tokenizer.source(text, tokenizeOptions.addSpecialTokens ?? true),
    }),
    detokenize: (ids) => family.tokenizer.decode(ids),
    decodeTokens: (ids) => family.tokenizer.decodeTokens(ids),
    generate: async (promptIds, generation = {}) => {
      checkSource(promptIds);
      const decoder = createEncoderDecoderKvCacheDecoder({
        config: dims,
        startId,
        sourceLength: promptIds.length,
        sessions: sessionsOf,
      });
      return generateTokens(model, promptIds, generation, suppressing(decoder, tokens.suppressed ?? []));
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
