import { TokenscopeError } from "@tokenscope/core";
import type { RuntimeSession, RuntimeTensor } from "@tokenscope/tensor-backends";
import {
  crossKeyName,
  crossValueName,
  encoderDecoderTensorNames as names,
} from "../graphs/encoder-decoder/tensor-names.ts";
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from "../graphs/tensor-names.ts";
import type { IncrementalDecoder } from "../language-model/incremental-decoder.ts";
import type { EncoderDecoderDims } from "./family.ts";

/**
 * The sessions generation runs, from a family's graphs (`EncoderDecoderFamily`): the encoder, the
 * cross-attention projection and the cached decoder, all float32.
 */
export interface EncoderDecoderSessions {
  encoder: RuntimeSession;
  crossKeyValues: RuntimeSession;
  decoder: RuntimeSession;
}

/** Options of {@link createEncoderDecoderKvCacheDecoder}. */
export interface EncoderDecoderKvCacheOptions {
  config: Pick<EncoderDecoderDims, "decoderLayers" | "targetVocabSize" | "numHeads" | "headDim">;
  /** The target id decoding starts from (`<s>`), fed before the first target id. */
  startId: number;
  /** How many ids of the first `append` are the source; the rest are target ids (forced ones). */
  sourceLength: number;
  /** The sessions, asked for on the first call. */
  sessions: () => Promise<EncoderDecoderSessions>;
}

const int64Row = (row: readonly number[]): RuntimeTensor => ({
  dataType: "int64",
  dims: [1, row.length],
  data: BigInt64Array.from(row, (value) => BigInt(value)),
});

/**
 * One generation's decoder with a KV cache. The first call carries the source (and any forced
 * target ids after it): the source is encoded once and every layer's cross-attention keys and values
 * are projected from it once; the decoder then runs over `<s>` and the forced ids. Each later call
 * runs the decoder over the new target ids only, attending over the self-attention keys and values
 * the earlier runs returned (`present_*` → `past_*`). Each call returns the logits after its last id.
 */
export function createEncoderDecoderKvCacheDecoder(
  options: EncoderDecoderKvCacheOptions,
): IncrementalDecoder {
  const { config, sourceLength } = options;
  const layers = config.decoderLayers;
  const vocab = config.targetVocabSize;
  let memory: { mask: RuntimeTensor; cross: Record<string, RuntimeTensor> } | undefined;
  const past: Record<string, RuntimeTensor> = {};
  const empty: RuntimeTensor = {
    dataType: "float32",
    dims: [1, config.numHeads, 0, config.headDim],
    data: new Float32Array(0),
  };
  for (let layer = 0; layer < layers; layer++) {
    past[pastKeyName(layer)] = empty;
    past[pastValueName(layer)] = empty;
  }
  let targetLength = 0;

  function checkTarget(ids: readonly number[]): void {
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
    if (bad !== undefined) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Target token id ${bad} is outside the target vocabulary [0, ${vocab}).`,
        {
          hint: "Force ids from model.tokenize(text, { continuation: true }).",
          details: { id: bad, vocabSize: vocab },
        },
      );
    }
  }

  return {
    async append(ids) {
      const sessions = await options.sessions();
      let target: readonly number[];
      if (memory === undefined) {
        target = [options.startId, ...ids.slice(sourceLength)];
        checkTarget(target);
        const source = ids.slice(0, sourceLength);
        const mask = int64Row(source.map(() => 1));
        const encoded = await sessions.encoder.run({
          [names.inputIds]: int64Row(source),
          [names.attentionMask]: mask,
        });
        const cross = await sessions.crossKeyValues.run({
          [names.encoderHiddenStates]: encoded[names.encoderHiddenStates]!,
        });
        const crossFeeds: Record<string, RuntimeTensor> = {};
        for (let layer = 0; layer < layers; layer++) {
          for (const name of [crossKeyName(layer), crossValueName(layer)]) crossFeeds[name] = cross[name]!;
        }
        memory = { mask, cross: crossFeeds };
      } else {
        target = ids;
        checkTarget(target);
      }
      const total = targetLength + target.length;
      const outputs = await sessions.decoder.run({
        [names.decoderInputIds]: int64Row(target),
        [names.decoderAttentionMask]: int64Row(new Array<number>(total).fill(1)),
        [names.attentionMask]: memory.mask,
        ...memory.cross,
        ...past,
      });
      for (let layer = 0; layer < layers; layer++) {
        past[pastKeyName(layer)] = outputs[presentKeyName(layer)]!;
        past[pastValueName(layer)] = outputs[presentValueName(layer)]!;
      }
      targetLength = total;
      const logits = outputs[names.logits]!.data as Float32Array;
      return logits.subarray((target.length - 1) * vocab, target.length * vocab);
    },
  };
}
