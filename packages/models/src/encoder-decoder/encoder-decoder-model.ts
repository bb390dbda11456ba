import {
  type Capability,
  type ExecutionInfo,
  type LanguageModel,
  type ModelInfo,
  TokenscopeError,
} from "@tokenscope/core";
import type {
  RuntimeSession,
  RuntimeTensor,
  SessionOptions,
  TensorRuntime,
} from "@tokenscope/tensor-backends";
import type { CTranslate2Vocabulary } from "../formats/ctranslate2/vocabulary.ts";
import { encoderDecoderTensorNames } from "../graphs/encoder-decoder/tensor-names.ts";
import type { EncoderDecoderWeights } from "../graphs/encoder-decoder/types.ts";
import { generateTokens } from "../language-model/generate.ts";
import type { IncrementalDecoder } from "../language-model/incremental-decoder.ts";
import { characterTokens, decodeCharacterTokens } from "./character-tokenizer.ts";
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

/** Why forward passes and gradients are not offered, for the MISSING_CAPABILITY a method gets. */
const noDecoderInputs =
  "core's model interface has no decoder inputs yet, so forward passes and gradients of an encoder-decoder (whose logits depend on the source and the target prefix) cannot be asked for";

const int64Row = (row: readonly number[]): RuntimeTensor => ({
  dataType: "int64",
  dims: [1, row.length],
  data: BigInt64Array.from(row, (value) => BigInt(value)),
});

/**
 * A character-level Transformer encoder-decoder (CTranslate2 TransformerBase / TransformerBig, as
 * `loadCTranslate2TransformerFolder` reads it) behind core's {@link LanguageModel}: capabilities
 * `tokenize` and `generate`, `info.encoderDecoder` true.
 *
 * - `tokenize(text)` gives the SOURCE tokens: one per Unicode code point, `<unk>` for characters the
 *   source vocabulary lacks, spans into the text, no BOS/EOS. With `continuation: true` (a forced
 *   target after its prompt) the text is split on the TARGET vocabulary instead.
 * - `detokenize` / `decodeTokens` read TARGET ids: characters joined, `<blank>`, `<s>`, `</s>` and
 *   `<unk>` special (no characters); `after` is ignored (the source does not continue into the target).
 * - `generate(sourceIds)` decodes from `<s>` until `</s>` (kept as the last id, as for causal
 *   models) or `maxNewTokens`, greedy or sampled, with stop tokens, forced ids and prefixes
 *   (`generateTokens`). The source is encoded once per generation (an encoder graph cut out of
 *   `buildTransformerGraph`'s); each step then runs the decoder graph over `<s>` and the whole
 *   target prefix: there is no KV cache yet.
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
    specialTokens: {
      bos: startId,
      ...(endId !== undefined ? { eos: [endId] } : {}),
      ...(padId !== undefined ? { pad: padId } : {}),
      unk: sourceVocabulary.unknownId,
    },
    ...(options.execution ? { execution: options.execution } : {}),
  };
  const capabilities = new Set<Capability>(["tokenize", "generate"]);
  const capabilityNotes: Partial<Record<Capability, string>> = {
    embed: noDecoderInputs,
    forward: noDecoderInputs,
    gradients: noDecoderInputs,
    "gradients.layer": noDecoderInputs,
  };

  let sessions: Promise<{ encoder: RuntimeSession; decoder: RuntimeSession }> | undefined;
  const sessionsOf = () => {
    sessions ??= (async () => {
      const graphs = buildSplitTransformerGraphs(weights);
      const sessionOptions = options.sessionOptions ?? {};
      const encoder = await options.runtime.createSession(graphs.encoder, sessionOptions);
      try {
        return { encoder, decoder: await options.runtime.createSession(graphs.decoder, sessionOptions) };
      } catch (error) {
        await encoder.dispose();
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

  /**
   * The decoder generation steps through: the first call carries the source (the prompt, and any
   * forced ids after it), which is encoded once; later calls carry the chosen target ids. Each call
   * runs the decoder over `<s>` + the target so far and returns the logits at its last position.
   */
  function recomputeDecoder(sourceLength: number): IncrementalDecoder {
    let encoded: { mask: RuntimeTensor; hiddenStates: RuntimeTensor } | undefined;
    const target = [startId!];
    const vocab = config.targetVocabSize;
    return {
      async append(ids) {
        const { encoder, decoder } = await sessionsOf();
        if (encoded === undefined) {
          const source = ids.slice(0, sourceLength);
          const mask = int64Row(source.map(() => 1));
          const outputs = await encoder.run({ input_ids: int64Row(source), attention_mask: mask });
          encoded = { mask, hiddenStates: outputs[encoderDecoderTensorNames.encoderHiddenStates]! };
          target.push(...ids.slice(sourceLength));
        } else {
          target.push(...ids);
        }
        const outputs = await decoder.run(
          {
            attention_mask: encoded.mask,
            [encoderDecoderTensorNames.encoderHiddenStates]: encoded.hiddenStates,
            decoder_input_ids: int64Row(target),
            decoder_attention_mask: int64Row(target.map(() => 1)),
          },
          ["logits"],
        );
        const logits = outputs["logits"]!.data as Float32Array;
        return logits.subarray((target.length - 1) * vocab, target.length * vocab);
      },
    };
  }

  const model: LanguageModel = {
    info,
    capabilities,
    capabilityNotes,
    tokenize: async (text, tokenizeOptions = {}) => ({
      text,
      tokens: characterTokens(tokenizeOptions.continuation ? targetVocabulary : sourceVocabulary, text),
    }),
    detokenize: async (ids) => decodeCharacterTokens(targetVocabulary, ids).text,
    decodeTokens: async (ids) => decodeCharacterTokens(targetVocabulary, ids),
    generate: async (promptIds, generation = {}) => {
      checkSource(promptIds);
      return generateTokens(model, promptIds, generation, recomputeDecoder(promptIds.length));
    },
    dispose: async () => {
      const pending = sessions;
      sessions = undefined;
      const started = await pending?.catch(() => undefined);
      if (started) await Promise.all([started.encoder.dispose(), started.decoder.dispose()]);
    },
  };
  return model;
}
