import { TokenscopeError } from "@tokenscope/core";
import type { RopeScaling } from "../../weights/types.ts";

/**
 * Rotary inverse frequencies `theta^(-2i/rotaryDim)` for i < rotaryDim/2, with the config's
 * scaling applied. Plain numbers: the graph holds them as a constant.
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for a scaling type other than linear and llama3.
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
    default:
      throw new TokenscopeError(
        "UNSUPPORTED_ARCHITECTURE",
        `RoPE scaling "${(scaling as { type: string }).type}" is not supported; supported: linear, llama3.`,
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
