import { checkLimit, isTokenscopeError, type LimitName, TokenscopeError } from "@tokenscope/core";
import type { DecoderConfig } from "../weights/types.ts";

/*
 * A config (config.json, a llama2.c header, GGUF metadata) is read before any weight, and its sizes
 * decide what is allocated and how many tensors are expected. A damaged or hostile one (1e9 layers)
 * must fail at once, before anything is allocated: sizes are held to tokenscope's documented limits,
 * then the weights the config calls for are compared with the bytes the weight file actually has.
 */

/** The sizes of a {@link DecoderConfig} that decide allocations, and the limit each is held to. */
const boundedFields = [
  ["numLayers", "modelLayers"],
  ["hiddenSize", "modelWidth"],
  ["intermediateSize", "modelWidth"],
  ["numHeads", "modelWidth"],
  ["numKeyValueHeads", "modelWidth"],
  ["headDim", "modelWidth"],
  ["vocabSize", "vocabulary"],
] as const satisfies readonly (readonly [keyof DecoderConfig, LimitName])[];

/** How a file format names the config's sizes (`numLayers` is `num_hidden_layers` in config.json). */
export type ConfigFieldNames = Partial<Record<(typeof boundedFields)[number][0], string>>;

/** A `checkLimit` refusal restated as the file's fault: its message without the "lower it" hint. */
function asLoadFailure(error: TokenscopeError, source: string): TokenscopeError {
  const message = error.hint ? error.message.slice(0, -(error.hint.length + 1)) : error.message;
  return new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${message}`, {
    hint: "The file is damaged or hostile, or is no model tokenscope reads; compare it with the model's original.",
    details: { source, ...error.details },
    cause: error,
  });
}

/**
 * Holds a config's sizes to the limits `modelLayers`, `modelWidth` and `vocabulary`, naming each as
 * the file does (`names`). Call right after reading a config, before anything else.
 * @throws TokenscopeError MODEL_LOAD_FAILED naming the field, its value, the bound and why.
 */
export function checkDecoderConfigBounds(
  config: DecoderConfig,
  source: string,
  names: ConfigFieldNames = {},
): void {
  for (const [field, limit] of boundedFields) {
    try {
      checkLimit(limit, config[field], names[field] ?? field);
    } catch (error) {
      throw isTokenscopeError(error) ? asLoadFailure(error, source) : error;
    }
  }
}

/**
 * The fewest weights any model of this config holds: the token embedding and, per layer, the
 * attention projections and two feed-forward matrices (every supported family has at least these).
 * A lower bound, so that a file smaller than it certainly lacks weights.
 */
export function minimumWeightCount(config: DecoderConfig): number {
  const queryWidth = config.numHeads * config.headDim;
  const keyValueWidth = config.numKeyValueHeads * config.headDim;
  const perLayer =
    2 * config.hiddenSize * queryWidth +
    2 * config.hiddenSize * keyValueWidth +
    2 * config.hiddenSize * config.intermediateSize;
  return config.vocabSize * config.hiddenSize + config.numLayers * perLayer;
}

/**
 * Checks that `fileBytes` can hold the weights a config calls for, at `minBytesPerWeight` (4 for
 * fp32 files, 2 for fp16/bf16, 0.5625 for Q4_0), before anything is read or allocated.
 * @throws TokenscopeError MODEL_LOAD_FAILED when the file is too small: the config belongs to a larger
 *   model, or the file is truncated.
 */
export function checkWeightsFitFile(
  config: DecoderConfig,
  fileBytes: number,
  minBytesPerWeight: number,
  source: string,
): void {
  const weights = minimumWeightCount(config);
  const needed = Math.ceil(weights * minBytesPerWeight);
  if (needed <= fileBytes) return;
  throw new TokenscopeError(
    "MODEL_LOAD_FAILED",
    `${source}: the config (${config.numLayers} layers, hidden size ${config.hiddenSize}, vocabulary ${config.vocabSize}) calls for at least ${weights.toLocaleString("en-US")} weights, ${needed.toLocaleString("en-US")} bytes, but the weights have ${fileBytes.toLocaleString("en-US")} bytes.`,
    {
      hint: "The weights are truncated or belong to another model; download or export them again.",
      details: { source, weights, neededBytes: needed, fileBytes },
    },
  );
}
