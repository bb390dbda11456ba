import type { EncoderDecoderConfig } from "./types.ts";

/** A LayerNorm's tensors (CTranslate2 names them gamma and beta). */
export interface NormNames {
  weight: string;
  bias: string;
}

/** A linear layer's [out, in] matrix and bias. */
export interface LinearNames {
  weight: string;
  bias: string;
}

const norm = (scope: string): NormNames => ({ weight: `${scope}/gamma`, bias: `${scope}/beta` });
const linearOf = (scope: string): LinearNames => ({ weight: `${scope}/weight`, bias: `${scope}/bias` });

/**
 * Tensor names of a Transformer encoder-decoder, as CTranslate2's `TransformerSpec` lays them out
 * (`encoder/layer_0/self_attention/linear_0/weight`, ...). Linear matrices are [out, in].
 */
export const transformerNames = {
  tokenEmbedding: (stack: "encoder" | "decoder") => `${stack}/embeddings/weight`,
  finalNorm: (stack: "encoder" | "decoder") => norm(`${stack}/layer_norm`),
  /** Self-attention: fused q, k, v projection (`linear_0`, [3 × hidden, hidden]) and output (`linear_1`). */
  selfAttention: (stack: "encoder" | "decoder", layer: number) => {
    const scope = `${stack}/layer_${layer}/self_attention`;
    return {
      norm: norm(`${scope}/layer_norm`),
      qkv: linearOf(`${scope}/linear_0`),
      out: linearOf(`${scope}/linear_1`),
    };
  },
  /** Cross-attention: query (`linear_0`), fused k, v of the encoder output (`linear_1`, [2 × hidden, hidden]), output (`linear_2`). */
  crossAttention: (layer: number) => {
    const scope = `decoder/layer_${layer}/attention`;
    return {
      norm: norm(`${scope}/layer_norm`),
      query: linearOf(`${scope}/linear_0`),
      kv: linearOf(`${scope}/linear_1`),
      out: linearOf(`${scope}/linear_2`),
    };
  },
  ffn: (stack: "encoder" | "decoder", layer: number) => {
    const scope = `${stack}/layer_${layer}/ffn`;
    return {
      norm: norm(`${scope}/layer_norm`),
      up: linearOf(`${scope}/linear_0`),
      down: linearOf(`${scope}/linear_1`),
    };
  },
  projection: linearOf("decoder/projection"),
} as const;

/** Every tensor a Transformer with `config` has, with its shape. */
export function transformerTensorDims(config: EncoderDecoderConfig): Map<string, number[]> {
  const { hiddenSize: d, ffnSize: ffn } = config;
  const dims = new Map<string, number[]>();
  const addNorm = (names: NormNames) => {
    dims.set(names.weight, [d]);
    dims.set(names.bias, [d]);
  };
  const addLinear = (names: LinearNames, out: number, inputs: number) => {
    dims.set(names.weight, [out, inputs]);
    dims.set(names.bias, [out]);
  };
  const addFfn = (stack: "encoder" | "decoder", layer: number) => {
    const f = transformerNames.ffn(stack, layer);
    addNorm(f.norm);
    addLinear(f.up, ffn, d);
    addLinear(f.down, d, ffn);
  };
  for (const stack of ["encoder", "decoder"] as const) {
    const vocab = stack === "encoder" ? config.sourceVocabSize : config.targetVocabSize;
    dims.set(transformerNames.tokenEmbedding(stack), [vocab, d]);
    addNorm(transformerNames.finalNorm(stack));
    const layers = stack === "encoder" ? config.encoderLayers : config.decoderLayers;
    for (let layer = 0; layer < layers; layer++) {
      const self = transformerNames.selfAttention(stack, layer);
      addNorm(self.norm);
      addLinear(self.qkv, 3 * d, d);
      addLinear(self.out, d, d);
      if (stack === "decoder") {
        const cross = transformerNames.crossAttention(layer);
        addNorm(cross.norm);
        addLinear(cross.query, d, d);
        addLinear(cross.kv, 2 * d, d);
        addLinear(cross.out, d, d);
      }
      addFfn(stack, layer);
    }
  }
  addLinear(transformerNames.projection, config.targetVocabSize, d);
  return dims;
}
