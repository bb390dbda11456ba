import { describe, expect, it } from "vitest";
import { randomDecoderWeights } from "../testing/random-weights.ts";
import { EMBED_TOKENS, expectedTensorDims, LM_HEAD, layerTensorName } from "./names.ts";
import { validateDecoderConfig, validateDecoderWeights } from "./validate.ts";

describe("expectedTensorDims", () => {
  it("lists 2 + 9 per layer + (untied) 1 tensors with [out, in] matrices", () => {
    const weights = randomDecoderWeights({ numLayers: 3, tieWordEmbeddings: false });
    const dims = expectedTensorDims(weights.config);
    expect(dims.size).toBe(2 + 9 * 3 + 1);
    expect(dims.get(layerTensorName(2, "self_attn.k_proj"))).toEqual([2 * 4, 16]);
    expect(dims.get(layerTensorName(0, "mlp.down_proj"))).toEqual([16, 24]);
    expect(expectedTensorDims({ ...weights.config, tieWordEmbeddings: true }).has(LM_HEAD)).toBe(false);
  });
});

describe("validateDecoderWeights", () => {
  it("accepts complete weights", () => {
    expect(() => validateDecoderWeights(randomDecoderWeights(), "ok")).not.toThrow();
  });

  it("names missing, misshapen and unexpected tensors", () => {
    const weights = randomDecoderWeights();
    weights.tensors.delete(layerTensorName(1, "mlp.up_proj"));
    weights.tensors.set(EMBED_TOKENS, { dims: [40, 15], data: new Float32Array(600) });
    weights.tensors.set("model.layers.0.self_attn.q_proj.bias", { dims: [16], data: new Float32Array(16) });
    expect(() => validateDecoderWeights(weights, "m.safetensors")).toThrow(
      expect.objectContaining({
        code: "MODEL_LOAD_FAILED",
        message: expect.stringMatching(
          /^m\.safetensors: .*embed_tokens.weight has dims \[40,15\], expected \[40,16\]; .*layers\.1\.mlp\.up_proj\.weight is missing; .*q_proj\.bias is not a tensor of this architecture/,
        ),
      }),
    );
  });

  it("rejects impossible configs", () => {
    const { config } = randomDecoderWeights();
    expect(() => validateDecoderConfig({ ...config, numKeyValueHeads: 3 }, "c")).toThrow(/cannot be grouped/);
    expect(() => validateDecoderConfig({ ...config, headDim: 5 }, "c")).toThrow(/even head size/);
    expect(() => validateDecoderConfig({ ...config, numLayers: 0 }, "c")).toThrow(
      /numLayers must be a positive integer/,
    );
    expect(() => validateDecoderConfig({ ...config, rmsNormEps: 0 }, "c")).toThrow(/rmsNormEps/);
  });
});
