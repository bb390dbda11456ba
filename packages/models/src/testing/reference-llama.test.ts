import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readLlama2cCheckpoint } from "../formats/llama2c/read-checkpoint.ts";
import { readLlama2cTokenizer } from "../tokenizers/llama2c.ts";
import { withRopeStyle } from "../weights/rope-permute.ts";
import type { DecoderWeights } from "../weights/types.ts";
import { onceUponATimeIds, stories260kDir } from "./assets.test-helpers.ts";
import { referenceForward, referenceGreedy } from "./reference-llama.ts";

const checkpoint = join(stories260kDir, "stories260K.bin");
const weights = readLlama2cCheckpoint(new Uint8Array(readFileSync(checkpoint)), { source: checkpoint });
const tokenizer = readLlama2cTokenizer(new Uint8Array(readFileSync(join(stories260kDir, "tok512.bin"))));

describe("referenceGreedy on stories260K", () => {
  it("continues 'Once upon a time' with the README's 40 tokens", () => {
    const generated = referenceGreedy(weights, onceUponATimeIds, 40);
    expect(generated).toHaveLength(40);
    expect(tokenizer.decode([...onceUponATimeIds, ...generated])).toBe(
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.",
    );
  });
});

describe("referenceForward", () => {
  it("is causal: logits at a position ignore later tokens", () => {
    const short = referenceForward(weights, [1, 403, 407]);
    const long = referenceForward(weights, [1, 403, 407, 261, 378]);
    expect(Array.from(long.data.subarray(0, 3 * 512))).toEqual(Array.from(short.data));
  });

  it("gives the same logits with half-style RoPE after permuting the rows of Q and K", () => {
    const half = withRopeStyle(weights, "half");
    expect(half.config.ropeStyle).toBe("half");
    const interleaved = referenceForward(weights, onceUponATimeIds);
    const rotated = referenceForward(half, onceUponATimeIds);
    let maxDiff = 0;
    for (let i = 0; i < interleaved.data.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(interleaved.data[i]! - rotated.data[i]!));
    }
    expect(maxDiff).toBeLessThan(1e-9);
    // Without the permutation the half rotation pairs the wrong dimensions: the logits move.
    const wrong: DecoderWeights = { ...weights, config: { ...weights.config, ropeStyle: "half" } };
    const moved = referenceForward(wrong, onceUponATimeIds);
    let movedDiff = 0;
    for (let i = 0; i < interleaved.data.length; i++) {
      movedDiff = Math.max(movedDiff, Math.abs(interleaved.data[i]! - moved.data[i]!));
    }
    expect(movedDiff).toBeGreaterThan(1e-3);
  });

  it("matches a one-token forward pass computed by hand", () => {
    // At position 0 attention returns v exactly (softmax over one key) and RoPE is the identity,
    // so logits = out(norm(h)) with h = e + o(v(norm(e))) followed by the MLPs, checked layer by layer.
    const c = weights.config;
    const get = (name: string) => weights.tensors.get(name)!.data;
    const matVec = (w: Float32Array, x: number[], rows: number) =>
      Array.from({ length: rows }, (_, r) => x.reduce((sum, v, i) => sum + w[r * x.length + i]! * v, 0));
    const norm = (x: number[], w: Float32Array) => {
      const rms = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length + c.rmsNormEps);
      return x.map((v, i) => (v / rms) * w[i]!);
    };
    const id = 403;
    let h = Array.from(get("model.embed_tokens.weight").subarray(id * c.hiddenSize, (id + 1) * c.hiddenSize));
    const kvDim = c.numKeyValueHeads * c.headDim;
    for (let l = 0; l < c.numLayers; l++) {
      const p = (n: string) => get(`model.layers.${l}.${n}.weight`);
      const v = matVec(p("self_attn.v_proj"), norm(h, p("input_layernorm")), kvDim);
      const heads = Array.from({ length: c.numHeads }, (_, head) => {
        const kv = Math.floor(head / (c.numHeads / c.numKeyValueHeads));
        return v.slice(kv * c.headDim, (kv + 1) * c.headDim);
      }).flat();
      h = h.map((x, i) => x + matVec(p("self_attn.o_proj"), heads, c.hiddenSize)[i]!);
      const x = norm(h, p("post_attention_layernorm"));
      const gate = matVec(p("mlp.gate_proj"), x, c.intermediateSize);
      const up = matVec(p("mlp.up_proj"), x, c.intermediateSize);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
      const down = matVec(p("mlp.down_proj"), act, c.hiddenSize);
      h = h.map((value, i) => value + down[i]!);
    }
    const expected = matVec(get("model.embed_tokens.weight"), norm(h, get("model.norm.weight")), c.vocabSize);
    const actual = referenceForward(weights, [id]).data;
    for (let i = 0; i < c.vocabSize; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 9);
  });
});
