import { describe, expect, it } from "vitest";
import { randomDecoderWeights } from "../../testing/random-weights.ts";
import { referenceForward } from "../../testing/reference-llama.ts";
import type { DecoderWeights } from "../../weights/types.ts";
import { type KType, quantizeK } from "./k-quants.test-helpers.ts";
import { ggufToDecoderWeights } from "./llama.ts";
import { llamaGgufInput } from "./llama-write.ts";
import { readGguf } from "./read.ts";
import { type GgufWriteInput, writeGguf } from "./write.ts";

// A Llama small enough for the reference forward pass but with every matrix row 256 values long,
// so that every matrix can be stored in a K-quant.
const weights = randomDecoderWeights(
  {
    vocabSize: 32,
    hiddenSize: 256,
    intermediateSize: 256,
    numLayers: 2,
    numHeads: 4,
    numKeyValueHeads: 2,
    headDim: 64,
  },
  17,
);

/** The matrix types of llama.cpp's Q4_K_M (Q6_K for the output, attn_v and ffn_down), and one of every other K-quant. */
const mixes: Record<string, (name: string) => KType> = {
  "Q4_K_M-like (Q4_K, Q6_K)": (name) =>
    /output\.weight$|attn_v|ffn_down/.test(name) && !name.includes("attn_output") ? "Q6_K" : "Q4_K",
  "Q2_K, Q3_K, Q5_K, Q8_K": (name) =>
    name === "output.weight"
      ? "Q8_K"
      : name.includes("attn_v")
        ? "Q3_K"
        : name.includes("ffn_down")
          ? "Q5_K"
          : "Q2_K",
};

/** The same GGUF twice: matrices K-quantized by the test quantizer, and as F32 holding the values those blocks stand for. */
function quantizedAndDequantized(typeOf: (name: string) => KType): {
  quantized: GgufWriteInput;
  dequantized: GgufWriteInput;
  types: Map<string, KType>;
} {
  const input = llamaGgufInput(weights);
  const types = new Map<string, KType>();
  const quantized: GgufWriteInput = { metadata: input.metadata, tensors: [] };
  const dequantized: GgufWriteInput = { metadata: input.metadata, tensors: [] };
  for (const tensor of input.tensors) {
    if (tensor.dims.length !== 2 || !("data" in tensor)) {
      quantized.tensors.push(tensor);
      dequantized.tensors.push(tensor);
      continue;
    }
    const type = typeOf(tensor.name);
    types.set(tensor.name, type);
    const { bytes, values } = quantizeK(type, tensor.data);
    quantized.tensors.push({ name: tensor.name, dims: tensor.dims, type, bytes });
    dequantized.tensors.push({ name: tensor.name, dims: tensor.dims, type: "F32", data: values });
  }
  return { quantized, dequantized, types };
}

async function load(input: GgufWriteInput, source: string): Promise<DecoderWeights> {
  return ggufToDecoderWeights(await readGguf(writeGguf(input), { source }));
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe("a K-quantized llama GGUF", () => {
  const ids = [1, 7, 30, 2, 19, 5];
  const original = referenceForward(weights, ids).data;

  for (const [mix, typeOf] of Object.entries(mixes)) {
    it(`${mix}: loads with the logits of its dequantized float32 weights`, async () => {
      const { quantized, dequantized, types } = quantizedAndDequantized(typeOf);
      expect(new Set(types.values()).size).toBe(mix.startsWith("Q4_K_M") ? 2 : 4);
      const fromQuantized = await load(quantized, "k-quants.gguf");
      const fromFloats = await load(dequantized, "dequantized.gguf");
      expect(fromQuantized.config).toEqual(weights.config);
      for (const [name, tensor] of fromFloats.tensors) {
        expect(maxDifference(fromQuantized.tensors.get(name)!.data, tensor.data), name).toBe(0);
      }
      const logits = referenceForward(fromQuantized, ids).data;
      expect(maxDifference(logits, referenceForward(fromFloats, ids).data)).toBeLessThanOrEqual(1e-5);
      // The weights did go through the grid: the logits moved from the unquantized model's, by a
      // share of their range that 4-6 bits (or 2-3 bits) per uniform random weight allow.
      const moved = maxDifference(logits, original);
      const range = maxDifference(original, new Float64Array(original.length));
      expect(moved).toBeGreaterThan(1e-4);
      expect(moved / range).toBeLessThan(mix.startsWith("Q4_K_M") ? 0.25 : 0.75);
    });
  }
});
