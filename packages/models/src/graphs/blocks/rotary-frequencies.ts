import { TokenscopeError } from "@tokenscope/core";
import type { RopeScaling } from "../../weights/types.ts";

/**
 * Rotary inverse frequencies `theta^(-2i/rotaryDim)` for i < rotaryDim/2, with the config's
 * scaling applied. Plain numbers: the graph holds them as a constant. For LongRoPE these are the
 * short-factor frequencies; {@link longRopeSwitch} gives the long ones and when they apply.
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for an unknown scaling type; MODEL_LOAD_FAILED
 * for LongRoPE factors that are not rotaryDim/2 positive finite numbers.
 */
export function rotaryInverseFrequencies(
  rotaryDim: number,
  theta: number,
  scaling?: RopeScaling,
): Float64Array {
  const base = Float64Array.from({ length: rotaryDim / 2 }, (_, i) => theta ** ((-2 * i) / rotaryDim));
  if (scaling === undefined) return base;
  switch (scaling.type) {
    case "linear":
      return base.map((frequency) => frequency / scaling.factor);
    case "llama3":
      return base.map((frequency) => llama3Frequency(frequency, scaling));
    case "longrope":
      return longRopeFrequencies(base, scaling.shortFactor, "shortFactor");
    default:
      throw new TokenscopeError(
        "UNSUPPORTED_ARCHITECTURE",
        `RoPE scaling "${(scaling as { type: string }).type}" is not supported; supported: linear, llama3, longrope.`,
        {
          hint: "Drop rope_scaling from the config to run the model at its original context length.",
          details: { scaling },
        },
      );
  }
}

/**
 * Llama 3.1's rule (transformers' `_compute_llama3_parameters`): wavelengths longer than
 * `original / lowFreqFactor` are stretched by `factor`, shorter than `original / highFreqFactor`
 * kept, and those between blended linearly in `original / wavelength`.
 */
function llama3Frequency(frequency: number, scaling: Extract<RopeScaling, { type: "llama3" }>): number {
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: original } = scaling;
  const wavelength = (2 * Math.PI) / frequency;
  if (wavelength < original / highFreqFactor) return frequency;
  if (wavelength > original / lowFreqFactor) return frequency / factor;
  const smooth = (original / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
  return (1 - smooth) * (frequency / factor) + smooth * frequency;
}

/** LongRoPE's second frequency table and the rule that picks it (see {@link RopeScaling}). */
export interface LongRopeSwitch {
  /** Frequencies divided by the long factors, used when the largest position + 1 > `original`. */
  longInverseFrequencies: Float64Array;
  original: number;
  /** Multiplies cos and sin, whichever table is used. */
  attentionFactor: number;
}

/** The long-factor table of a LongRoPE scaling; undefined for every other scaling. */
export function longRopeSwitch(
  rotaryDim: number,
  theta: number,
  scaling?: RopeScaling,
): LongRopeSwitch | undefined {
  if (scaling?.type !== "longrope") return undefined;
  const base = rotaryInverseFrequencies(rotaryDim, theta);
  const { originalMaxPositionEmbeddings: original, attentionFactor } = scaling;
  if (
    !(
      Number.isSafeInteger(original) &&
      original > 0 &&
      Number.isFinite(attentionFactor) &&
      attentionFactor > 0
    )
  ) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `LongRoPE needs a positive integer originalMaxPositionEmbeddings and a positive attentionFactor, got ${original} and ${attentionFactor}.`,
      {
        hint: "Check rope_scaling and original_max_position_embeddings in the config.",
        details: { scaling },
      },
    );
  }
  return {
    longInverseFrequencies: longRopeFrequencies(base, scaling.longFactor, "longFactor"),
    original,
    attentionFactor,
  };
}

/** `base[i] / factors[i]`: transformers' `1 / (ext_factors · base^(2i/dim))`. */
function longRopeFrequencies(base: Float64Array, factors: readonly number[], key: string): Float64Array {
  if (
    !Array.isArray(factors) ||
    factors.length !== base.length ||
    !factors.every((factor) => typeof factor === "number" && Number.isFinite(factor) && factor > 0)
  ) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `LongRoPE ${key} must hold ${base.length} positive finite numbers (one per rotated pair).`,
      { hint: "Check short_factor / long_factor in the config's rope_scaling.", details: { key } },
    );
  }
  return base.map((frequency, i) => frequency / factors[i]!);
}
