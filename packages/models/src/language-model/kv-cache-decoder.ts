import { TokenscopeError } from "@tokenscope/core";
import type { RuntimeSession, RuntimeTensor } from "@tokenscope/tensor-backends";
import {
  decoderTensorNames,
  pastKeyName,
  pastValueName,
  presentKeyName,
  presentValueName,
} from "../graphs/tensor-names.ts";
import type { DecoderConfig } from "../weights/types.ts";
import type { IncrementalDecoder } from "./incremental-decoder.ts";

/** Options of {@link createKvCacheDecoder}. */
export interface KvCacheDecoderOptions {
  config: DecoderConfig;
  /**
   * The session of a graph built with `kvCache: true` and `gatherLogits: true` (ids input, float32),
   * asked for on the first call so that a model builds it only when it generates.
   */
  session: () => Promise<RuntimeSession>;
  /** The model's name, for error messages. */
  modelId?: string;
}

function int64(values: readonly number[]): RuntimeTensor {
  return { dataType: "int64", dims: [1, values.length], data: BigInt64Array.from(values, BigInt) };
}

/**
 * A decoder over one sequence that keeps every layer's keys (after rotary) and values between
 * calls: each call runs only the new tokens, attending over the cached ones, and takes the
 * `present_*` outputs as the next call's `past_*`. The first call (the prompt) starts from an empty
 * cache; logits are computed for the last new position only. With LongRoPE, the call that first
 * takes the sequence past the original context drops the cache and runs the whole sequence again
 * (its cached keys were rotated with the short factors), as transformers' Phi-3
 * `prepare_inputs_for_generation` does; every call thus equals a full recomputation.
 */
export function createKvCacheDecoder(options: KvCacheDecoderOptions): IncrementalDecoder {
  const { config } = options;
  const names = decoderTensorNames;
  const cacheShape = (length: number) => [1, config.numKeyValueHeads, length, config.headDim];
  const empty: RuntimeTensor = { dataType: "float32", dims: cacheShape(0), data: new Float32Array(0) };
  const past = new Map<string, RuntimeTensor>();
  for (let layer = 0; layer < config.numLayers; layer++) {
    past.set(pastKeyName(layer), empty);
    past.set(pastValueName(layer), empty);
  }
  let length = 0;
  const sequence: number[] = [];
  const scaling = config.ropeScaling;
  const longRopeOriginal = scaling?.type === "longrope" ? scaling.originalMaxPositionEmbeddings : undefined;

  function check(ids: readonly number[]): void {
    if (ids.length === 0) {
      throw new TokenscopeError("INVALID_INPUT", "The KV-cache decoder was given no tokens.", {
        hint: "Append at least one token id.",
      });
    }
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= config.vocabSize);
    if (bad !== undefined) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Token id ${bad} is outside the vocabulary [0, ${config.vocabSize}).`,
        {
          hint: "Pass ids from the model's tokenizer.",
          details: { id: bad, vocabSize: config.vocabSize },
        },
      );
    }
    if (length + ids.length > config.contextLength) {
      throw new TokenscopeError(
        "PROMPT_TOO_LONG",
        `${length + ids.length} tokens exceed the context of ${config.contextLength}${options.modelId ? ` of ${options.modelId}` : ""}.`,
        { hint: "Shorten the prompt or ask for fewer new tokens.", details: { tokens: length + ids.length } },
      );
    }
  }

  return {
    async append(ids) {
      check(ids);
      const session = await options.session();
      const total = length + ids.length;
      // LongRoPE's switch to the long factors invalidates the cache: run everything from position 0.
      const restart =
        longRopeOriginal !== undefined &&
        length > 0 &&
        length <= longRopeOriginal &&
        total > longRopeOriginal;
      if (restart) for (const name of past.keys()) past.set(name, empty);
      const start = restart ? 0 : length;
      const run = restart ? [...sequence, ...ids] : ids;
      const outputs = await session.run({
        [names.inputIds]: int64(run),
        [names.attentionMask]: int64(new Array<number>(total).fill(1)),
        [names.positionIds]: int64(Array.from(run, (_, i) => start + i)),
        [names.logitPositions]: int64([run.length - 1]),
        ...Object.fromEntries(past),
      });
      for (let layer = 0; layer < config.numLayers; layer++) {
        past.set(pastKeyName(layer), outputs[presentKeyName(layer)]!);
        past.set(pastValueName(layer), outputs[presentValueName(layer)]!);
      }
      length = total;
      if (longRopeOriginal !== undefined) sequence.push(...ids);
      return outputs[names.logits]!.data as Float32Array;
    },
  };
}
