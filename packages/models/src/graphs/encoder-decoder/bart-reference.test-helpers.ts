import type { WeightTensor } from "../../weights/types.ts";
import type { BartConfig } from "./bart-config.ts";

/*
 * An independent float64 forward pass of the Hugging Face BART family, written plainly from
 * transformers' modeling_bart.py, modeling_mbart.py and modeling_marian.py (BartEncoderLayer,
 * MBartEncoderLayer, MarianSinusoidalPositionalEmbedding._init_weight, ...): loops over vectors,
 * no graph, no shared code with the builder. One unpadded sequence pair at a time.
 */

type Vector = Float64Array;

/** Which value vectors the reference scales: `(kind, layer, head, key)` → 0 to zero, 1 to keep. */
export type BartReferenceValueScale = (
  kind: "encoder" | "decoder" | "cross",
  layer: number,
  head: number,
  key: number,
) => number;

interface Model {
  config: BartConfig;
  tensors: Map<string, WeightTensor>;
}

function read(model: Model, ...candidates: string[]): Float32Array {
  for (const name of candidates) {
    const found = model.tensors.get(name);
    if (found !== undefined) return found.data;
  }
  throw new Error(`reference: none of ${candidates.join(", ")}`);
}

/** nn.Linear: y = W x (+ b), W [out, in] row-major. */
function nnLinear(model: Model, scope: string, x: Vector, bias = true): Vector {
  const b = bias ? read(model, `${scope}.bias`) : undefined;
  const w = read(model, `${scope}.weight`);
  const inputs = x.length;
  const out = w.length / inputs;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let sum = b === undefined ? 0 : b[o]!;
    for (let i = 0; i < inputs; i++) sum += w[o * inputs + i]! * x[i]!;
    y[o] = sum;
  }
  return y;
}

function nnLayerNorm(model: Model, scope: string, x: Vector): Vector {
  const gamma = read(model, `${scope}.weight`);
  const beta = read(model, `${scope}.bias`);
  let mean = 0;
  for (const value of x) mean += value;
  mean /= x.length;
  let variance = 0;
  for (const value of x) variance += (value - mean) ** 2;
  variance /= x.length;
  const inv = 1 / Math.sqrt(variance + model.config.layerNormEps);
  return x.map((value, i) => (value - mean) * inv * gamma[i]! + beta[i]!);
}

const plus = (a: Vector, b: Vector): Vector => a.map((value, i) => value + b[i]!);

/**
 * erf in float64: 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3···(2n+1)), a series of positive terms
 * (no cancellation); |erf| is 1 to double precision beyond 6.
 */
function erf(x: number): number {
  const a = Math.abs(x);
  if (a > 6) return Math.sign(x);
  let term = a;
  let sum = a;
  for (let n = 1; term > 1e-17 * sum; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
}

/** transformers' ACT2FN entries. */
function act(name: BartConfig["activation"], x: number): number {
  switch (name) {
    case "relu":
      return Math.max(0, x);
    case "swish":
      return x / (1 + Math.exp(-x));
    case "gelu":
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case "gelu_new":
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  }
}

/** embed_tokens(ids) · embed_scale + embed_positions(positions), then layernorm_embedding. */
function embedStack(model: Model, stack: "encoder" | "decoder", ids: readonly number[]): Vector[] {
  const { config } = model;
  const d = config.hiddenSize;
  const tokens = read(model, `model.${stack}.embed_tokens.weight`, "model.shared.weight");
  const embedScale = config.scaleEmbedding ? Math.sqrt(d) : 1;
  return ids.map((id, position) => {
    const x = new Float64Array(d);
    for (let j = 0; j < d; j++) x[j] = tokens[id * d + j]! * embedScale;
    if (config.positions === "learned") {
      // BartLearnedPositionalEmbedding: positions + self.offset (2).
      const table = read(model, `model.${stack}.embed_positions.weight`);
      for (let j = 0; j < d; j++) x[j] = x[j]! + table[(position + 2) * d + j]!;
    } else {
      // position_enc[pos, j] = pos / 10000^(2 (j // 2) / dim); out[:, :dim/2] = sin(even j), out[:, dim/2:] = cos(odd j).
      const angle = (j: number) => position / 10000 ** ((2 * Math.floor(j / 2)) / d);
      for (let k = 0; k < d / 2; k++) {
        x[k] = x[k]! + Math.sin(angle(2 * k));
        x[d / 2 + k] = x[d / 2 + k]! + Math.cos(angle(2 * k + 1));
      }
    }
    return config.layernormEmbedding ? nnLayerNorm(model, `model.${stack}.layernorm_embedding`, x) : x;
  });
}

/**
 * BartAttention: q = q_proj(x) · head_dim^-0.5, softmax(q kᵀ) over allowed keys, value vectors
 * scaled per (head, key) by `scale`, then out_proj.
 */
function bartAttention(
  model: Model,
  scope: string,
  queriesFrom: Vector[],
  keysFrom: Vector[],
  causal: boolean,
  scale: (head: number, key: number) => number,
): Vector[] {
  const heads = model.config.numHeads;
  const d = model.config.hiddenSize;
  const headDim = d / heads;
  const scaling = headDim ** -0.5;
  const q = queriesFrom.map((x) => nnLinear(model, `${scope}.q_proj`, x).map((v) => v * scaling));
  const k = keysFrom.map((x) => nnLinear(model, `${scope}.k_proj`, x));
  const v = keysFrom.map((x) => nnLinear(model, `${scope}.v_proj`, x));
  return q.map((query, t) => {
    const context = new Float64Array(d);
    const visible = causal ? t + 1 : k.length;
    for (let h = 0; h < heads; h++) {
      const scores: number[] = [];
      for (let s = 0; s < visible; s++) {
        let dot = 0;
        for (let i = 0; i < headDim; i++) dot += query[h * headDim + i]! * k[s]![h * headDim + i]!;
        scores.push(dot);
      }
      const max = Math.max(...scores);
      const exps = scores.map((score) => Math.exp(score - max));
      const total = exps.reduce((a, b) => a + b, 0);
      for (let s = 0; s < visible; s++) {
        const weight = (exps[s]! / total) * scale(h, s);
        for (let i = 0; i < headDim; i++) {
          context[h * headDim + i] = context[h * headDim + i]! + weight * v[s]![h * headDim + i]!;
        }
      }
    }
    return nnLinear(model, `${scope}.out_proj`, context);
  });
}

/** residual + f(x) then norm (BART, Marian), or residual + f(norm(x)) (mBART). */
function sublayer(model: Model, normScope: string, x: Vector[], f: (input: Vector[]) => Vector[]): Vector[] {
  if (model.config.normPosition === "pre") {
    const out = f(x.map((v) => nnLayerNorm(model, normScope, v)));
    return x.map((v, t) => plus(v, out[t]!));
  }
  const out = f(x);
  return x.map((v, t) => nnLayerNorm(model, normScope, plus(v, out[t]!)));
}

function feedForward(model: Model, layerScope: string, x: Vector[]): Vector[] {
  return sublayer(model, `${layerScope}.final_layer_norm`, x, (input) =>
    input.map((v) =>
      nnLinear(
        model,
        `${layerScope}.fc2`,
        nnLinear(model, `${layerScope}.fc1`, v).map((u) => act(model.config.activation, u)),
      ),
    ),
  );
}

/**
 * Logits [target position][vocab] of `targetIds` (decoder inputs, teacher forcing) given
 * `sourceIds`, with value vectors scaled by `valueScale` (value zeroing; none when absent).
 */
export function referenceBartLogits(
  config: BartConfig,
  tensors: Map<string, WeightTensor>,
  sourceIds: readonly number[],
  targetIds: readonly number[],
  valueScale: BartReferenceValueScale = () => 1,
): Float64Array[] {
  const model: Model = { config, tensors };
  const pre = config.normPosition === "pre";

  let x = embedStack(model, "encoder", sourceIds);
  for (let layer = 0; layer < config.encoderLayers; layer++) {
    const scope = `model.encoder.layers.${layer}`;
    x = sublayer(model, `${scope}.self_attn_layer_norm`, x, (input) =>
      bartAttention(model, `${scope}.self_attn`, input, input, false, (h, s) =>
        valueScale("encoder", layer, h, s),
      ),
    );
    x = feedForward(model, scope, x);
  }
  const memory = pre ? x.map((v) => nnLayerNorm(model, "model.encoder.layer_norm", v)) : x;

  let y = embedStack(model, "decoder", targetIds);
  for (let layer = 0; layer < config.decoderLayers; layer++) {
    const scope = `model.decoder.layers.${layer}`;
    y = sublayer(model, `${scope}.self_attn_layer_norm`, y, (input) =>
      bartAttention(model, `${scope}.self_attn`, input, input, true, (h, s) =>
        valueScale("decoder", layer, h, s),
      ),
    );
    y = sublayer(model, `${scope}.encoder_attn_layer_norm`, y, (input) =>
      bartAttention(model, `${scope}.encoder_attn`, input, memory, false, (h, s) =>
        valueScale("cross", layer, h, s),
      ),
    );
    y = feedForward(model, scope, y);
  }
  if (pre) y = y.map((v) => nnLayerNorm(model, "model.decoder.layer_norm", v));

  const head = read(model, "lm_head.weight", "model.shared.weight");
  const bias = config.finalLogitsBias ? read(model, "final_logits_bias") : undefined;
  const d = config.hiddenSize;
  return y.map((v) => {
    const logits = new Float64Array(config.vocabSize);
    for (let o = 0; o < config.vocabSize; o++) {
      let sum = bias === undefined ? 0 : bias[o]!;
      for (let i = 0; i < d; i++) sum += head[o * d + i]! * v[i]!;
      logits[o] = sum;
    }
    return logits;
  });
}
