import { describe, expect, it } from "vitest";
import { randomWeights } from "../testing/random-weights.ts";
import { layerTensorName } from "../weights/names.ts";
import { buildDecoderGraph, supportedDecoderArchitectures } from "./build-decoder-graph.ts";

describe("buildDecoderGraph", () => {
  it("refuses an unknown architecture, listing the supported ones", () => {
    const weights = randomWeights("llama");
    expect(() =>
      buildDecoderGraph({ ...weights, config: { ...weights.config, architecture: "mamba" } }),
    ).toThrow(
      expect.objectContaining({
        code: "UNSUPPORTED_ARCHITECTURE",
        message: expect.stringContaining(
          '"mamba"; supported: llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text, phi3, gpt2, gpt_neox, opt',
        ),
      }),
    );
    expect(supportedDecoderArchitectures).toEqual([
      "llama",
      "mistral",
      "qwen2",
      "qwen3",
      "gemma",
      "gemma2",
      "gemma3_text",
      "phi3",
      "gpt2",
      "gpt_neox",
      "opt",
    ]);
    // An inherited property name is not an architecture either.
    expect(() =>
      buildDecoderGraph({ ...weights, config: { ...weights.config, architecture: "constructor" } }),
    ).toThrow(expect.objectContaining({ code: "UNSUPPORTED_ARCHITECTURE" }));
  });

  it("names a missing and a misshapen tensor with MODEL_LOAD_FAILED", () => {
    const weights = randomWeights("qwen2");
    weights.tensors.delete("model.layers.1.self_attn.k_proj.bias");
    weights.tensors.set(layerTensorName(0, "mlp.up_proj"), {
      dims: [48, 31],
      data: new Float32Array(48 * 31),
    });
    expect(() => buildDecoderGraph(weights, { source: "tiny-qwen" })).toThrow(
      expect.objectContaining({
        code: "MODEL_LOAD_FAILED",
        message: expect.stringMatching(
          /^tiny-qwen: .*model\.layers\.0\.mlp\.up_proj\.weight has dims \[48,31\], expected \[48,32\].*model\.layers\.1\.self_attn\.k_proj\.bias is missing/,
        ),
      }),
    );
    const gpt2 = randomWeights("gpt2");
    gpt2.tensors.delete("transformer.wpe.weight");
    expect(() => buildDecoderGraph(gpt2)).toThrow(/transformer\.wpe\.weight is missing/);
  });

  it("refuses malformed options and configs with typed errors", () => {
    const weights = randomWeights("llama");
    expect(() => buildDecoderGraph(weights, { taps: { residual: [2] } })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT", message: expect.stringContaining("layer 2") }),
    );
    expect(() => buildDecoderGraph(weights, { dataType: "float16" as "float32" })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
    const yarn = { ...weights.config, ropeScaling: { type: "yarn", factor: 4 } as never };
    expect(() => buildDecoderGraph({ ...weights, config: yarn })).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_ARCHITECTURE", message: expect.stringContaining("yarn") }),
    );
    const odd = randomWeights("gpt_neox", { rotaryFraction: 0.375 });
    expect(() => buildDecoderGraph(odd)).toThrow(expect.objectContaining({ code: "MODEL_LOAD_FAILED" }));
  });

  it("keeps weights as fp32 initializers holding the loader's arrays (cast in the graph for float64)", () => {
    const weights = randomWeights("llama", { tieWordEmbeddings: true });
    const graph = buildDecoderGraph(weights, { dataType: "float64" });
    const embed = graph.model.graph.initializers.find(
      (tensor) => tensor.name === "model.embed_tokens.weight",
    )!;
    expect(embed.dataType).toBe("float32");
    // The tied output reads the same table: stored once, not transposed.
    expect(embed.data).toBe(weights.tensors.get("model.embed_tokens.weight")!.data);
    expect(
      graph.model.graph.initializers.filter((tensor) => tensor.name.startsWith("model.embed_tokens")),
    ).toHaveLength(1);
    expect(graph.model.graph.initializers.every((tensor) => tensor.dataType === "float32")).toBe(true);
    expect(graph.model.graph.outputs[0]).toMatchObject({ name: "logits", dataType: "float64" });
  });
});
