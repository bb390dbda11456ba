import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError } from "@tokenscope/core";
import { afterAll, describe, expect, it } from "vitest";
import { readSafetensors } from "../formats/safetensors/read.ts";
import { writeSafetensors } from "../formats/safetensors/write.ts";
import { randomWeights } from "../testing/random-weights.ts";
import { numbersToBf16Bits, numbersToF16Bits } from "../weights/half-floats.ts";
import type { DecoderWeights } from "../weights/types.ts";
import { loadHfWeights } from "./load-folder.ts";
import { hfTensorsToDecoderWeights } from "./weights.ts";
import { type RandomHfFolderOptions, writeRandomHfFolder } from "./write-random-folder.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-hf-weights-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const base: Omit<RandomHfFolderOptions, "out"> = {
  architecture: "qwen3",
  layers: 2,
  hidden: 32,
  heads: 4,
  kvHeads: 2,
  vocab: 300,
  seed: 11,
};

/** Largest |a - b| over every tensor, and the names that differ between the two. */
function compare(a: DecoderWeights, b: DecoderWeights): { maxDifference: number; names: boolean } {
  let maxDifference = 0;
  for (const [name, tensor] of a.tensors) {
    const other = b.tensors.get(name)!;
    expect(other.dims).toEqual(tensor.dims);
    for (let i = 0; i < tensor.data.length; i++) {
      maxDifference = Math.max(maxDifference, Math.abs(tensor.data[i]! - other.data[i]!));
    }
  }
  return {
    maxDifference,
    names: [...a.tensors.keys()].sort().join() === [...b.tensors.keys()].sort().join(),
  };
}

function errorMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return isTokenscopeError(error) ? `${error.code}: ${error.message}` : `other: ${error}`;
  }
  return "no error";
}

describe("loadHfWeights", () => {
  it("F32, F16, BF16 and sharded folders load to the same fp32 weights within each dtype's precision", async () => {
    const f32 = await writeRandomHfFolder({ ...base, out: join(root, "f32") });
    const exact = await loadHfWeights(f32.folder);
    // F32 is exact: the weights written are the weights read.
    expect(compare(f32.weights, exact)).toEqual({ maxDifference: 0, names: true });

    const sharded = await writeRandomHfFolder({ ...base, out: join(root, "sharded"), maxShardBytes: 8_000 });
    expect(sharded.files.filter((name) => name.endsWith(".safetensors")).length).toBeGreaterThan(3);
    expect(compare(exact, await loadHfWeights(sharded.folder))).toEqual({ maxDifference: 0, names: true });

    // Weights are below 1.6 in magnitude: half a unit in the last place is 2^-11 (f16) or 2^-8 (bf16) of 2.
    const f16 = await loadHfWeights(
      (await writeRandomHfFolder({ ...base, out: join(root, "f16"), dtype: "F16" })).folder,
    );
    const f16Result = compare(exact, f16);
    expect(f16Result.names).toBe(true);
    expect(f16Result.maxDifference).toBeGreaterThan(0);
    expect(f16Result.maxDifference).toBeLessThanOrEqual(2 ** -11);
    const bf16 = await loadHfWeights(
      (await writeRandomHfFolder({ ...base, out: join(root, "bf16"), dtype: "BF16", maxShardBytes: 8_000 }))
        .folder,
    );
    const bf16Result = compare(exact, bf16);
    expect(bf16Result.maxDifference).toBeGreaterThan(f16Result.maxDifference);
    expect(bf16Result.maxDifference).toBeLessThanOrEqual(2 ** -8);
    // Each value is exactly the fp32 → half → fp32 rounding of the original.
    const name = "model.layers.1.mlp.down_proj.weight";
    const original = exact.tensors.get(name)!.data;
    const f16Bits = numbersToF16Bits(original);
    const bf16Bits = numbersToBf16Bits(original);
    expect(f16.tensors.get(name)!.data[5]).toBe(halfToNumber(f16Bits[5]!));
    expect(bf16.tensors.get(name)!.data[5]).toBe(
      new Float32Array(new Uint32Array([bf16Bits[5]! << 16]).buffer)[0],
    );
  });
});

function halfToNumber(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

describe("hfTensorsToDecoderWeights name mapping", () => {
  const fileOf = (
    entries: Array<[string, { dims: number[]; data: Float32Array }]>,
    dtype: "F32" | "I32" = "F32",
  ) =>
    readSafetensors(
      writeSafetensors(entries.map(([name, t]) => [name, { dtype, dims: t.dims, data: t.data }])),
    );

  it("adds GPT-2's transformer. prefix to a bare GPT2Model checkpoint and drops its saved causal masks", () => {
    const weights = randomWeights("gpt2", {}, 3);
    const entries: Array<[string, { dims: number[]; data: Float32Array }]> = [...weights.tensors].map(
      ([name, tensor]) => [name.replace(/^transformer\./, ""), tensor],
    );
    entries.push(["h.0.attn.bias", { dims: [1, 1, 4, 4], data: new Float32Array(16) }]);
    entries.push(["h.1.attn.masked_bias", { dims: [1], data: new Float32Array(1) }]);
    const loaded = hfTensorsToDecoderWeights(weights.config, fileOf(entries), "gpt2-bare");
    expect(compare(weights, loaded)).toEqual({ maxDifference: 0, names: true });
  });

  it("adds model. to a bare LlamaModel checkpoint, drops rotary buffers and a tied model's lm_head copy", () => {
    const weights = randomWeights("qwen2", {}, 4);
    expect(weights.config.tieWordEmbeddings).toBe(true);
    const entries: Array<[string, { dims: number[]; data: Float32Array }]> = [...weights.tensors].map(
      ([name, tensor]) => [name.replace(/^model\./, ""), tensor],
    );
    entries.push(["layers.0.self_attn.rotary_emb.inv_freq", { dims: [4], data: new Float32Array(4) }]);
    entries.push(["lm_head.weight", weights.tensors.get("model.embed_tokens.weight")!]);
    const loaded = hfTensorsToDecoderWeights(weights.config, fileOf(entries), "qwen2-bare");
    expect(compare(weights, loaded)).toEqual({ maxDifference: 0, names: true });
  });

  it("adds gpt_neox. to a bare GPTNeoXModel checkpoint and drops attention.bias buffers", () => {
    const weights = randomWeights("gpt_neox", {}, 5);
    const entries: Array<[string, { dims: number[]; data: Float32Array }]> = [...weights.tensors].map(
      ([name, tensor]) => [name.replace(/^gpt_neox\./, ""), tensor],
    );
    entries.push(["layers.0.attention.bias", { dims: [1, 1, 2, 2], data: new Float32Array(4) }]);
    entries.push(["layers.0.attention.rotary_emb.inv_freq", { dims: [2], data: new Float32Array(2) }]);
    const loaded = hfTensorsToDecoderWeights(weights.config, fileOf(entries), "neox-bare");
    expect(compare(weights, loaded)).toEqual({ maxDifference: 0, names: true });
  });

  it("refuses quantized (integer) tensors and names missing or foreign tensors", () => {
    const weights = randomWeights("llama", {}, 6);
    const entries = [...weights.tensors];
    expect(
      errorMessage(() => hfTensorsToDecoderWeights(weights.config, fileOf(entries, "I32"), "q")),
    ).toContain("has dtype I32");
    const missing = errorMessage(() =>
      hfTensorsToDecoderWeights(weights.config, fileOf(entries.filter(([n]) => n !== "lm_head.weight")), "m"),
    );
    expect(missing).toContain("MODEL_LOAD_FAILED");
    expect(missing).toContain("lm_head.weight is missing");
    const foreign = errorMessage(() =>
      hfTensorsToDecoderWeights(
        weights.config,
        fileOf([...entries, ["model.vision_tower.weight", { dims: [2], data: new Float32Array(2) }]]),
        "f",
      ),
    );
    expect(foreign).toContain("model.vision_tower.weight is not a tensor of this architecture");
  });
});
