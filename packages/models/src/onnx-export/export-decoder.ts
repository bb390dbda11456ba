import { TokenscopeError } from "@tokenscope/core";
import type { RuntimeSession, RuntimeTensor } from "@tokenscope/tensor-backends";
import type { IncrementalDecoder } from "../language-model/incremental-decoder.ts";
import { f16BitsToFloat32 } from "../weights/half-floats.ts";
import { type ExportInterface, emptyCacheTensor } from "./export-interface.ts";

/** What {@link createExportDecoder} needs. */
export interface ExportDecoderOptions {
  session: () => Promise<RuntimeSession>;
  exportInterface: ExportInterface;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  contextLength: number;
  modelId: string;
}

function int64Row(values: readonly number[]): RuntimeTensor {
  return { dataType: "int64", dims: [1, values.length], data: BigInt64Array.from(values, BigInt) };
}

/** Float32 values of a float32 or float16 runtime tensor. */
export function float32Values(tensor: RuntimeTensor): Float32Array {
  if (tensor.dataType === "float16") return f16BitsToFloat32(tensor.data as Uint16Array);
  return tensor.data instanceof Float32Array
    ? tensor.data
    : Float32Array.from(tensor.data as ArrayLike<number>);
}

/**
 * A decoder over one sequence for a transformers.js export with `present.*` outputs: each call runs
 * only the new tokens and keeps the `present.{i}.key/value` outputs as the next call's
 * `past_key_values.{i}.key/value`; the first call starts from empty caches [1, kvHeads, 0, headDim].
 */
export function createExportDecoder(options: ExportDecoderOptions): IncrementalDecoder {
  const { exportInterface, vocabSize } = options;
  const empty = emptyCacheTensor(exportInterface.cacheType, 1, options.kvHeads, options.headDim);
  const past = new Map<string, RuntimeTensor>();
  for (const layer of exportInterface.cache) {
    past.set(layer.pastKey, empty);
    past.set(layer.pastValue, empty);
  }
  let length = 0;
  return {
    async append(ids) {
      if (ids.length === 0) {
        throw new TokenscopeError("INVALID_INPUT", "The decoder was given no tokens.", {
          hint: "Append at least one token id.",
        });
      }
      const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
      if (bad !== undefined) {
        throw new TokenscopeError(
          "INVALID_INPUT",
          `Token id ${bad} is outside the vocabulary [0, ${vocabSize}).`,
          {
            hint: "Pass ids from the model's tokenizer.",
          },
        );
      }
      const total = length + ids.length;
      if (total > options.contextLength) {
        throw new TokenscopeError(
          "PROMPT_TOO_LONG",
          `${total} tokens exceed the context of ${options.contextLength} of ${options.modelId}.`,
          { hint: "Shorten the prompt or ask for fewer new tokens." },
        );
      }
      const session = await options.session();
      const feeds: Record<string, RuntimeTensor> = {
        input_ids: int64Row(ids),
        attention_mask: int64Row(new Array<number>(total).fill(1)),
        ...Object.fromEntries(past),
      };
      if (exportInterface.hasPositionIds)
        feeds["position_ids"] = int64Row(Array.from(ids, (_, i) => length + i));
      const outputs = await session.run(feeds);
      for (const layer of exportInterface.cache) {
        past.set(layer.pastKey, outputs[layer.presentKey!]!);
        past.set(layer.pastValue, outputs[layer.presentValue!]!);
      }
      length = total;
      const logits = float32Values(outputs["logits"]!);
      const width = logits.length / ids.length;
      return logits.subarray((ids.length - 1) * width, ids.length * width);
    },
  };
}
