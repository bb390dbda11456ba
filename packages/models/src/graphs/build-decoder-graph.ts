import { TokenscopeError } from "@tokenscope/core";
import type { DecoderWeights } from "../weights/types.ts";
import { validateDecoderWeights } from "../weights/validate.ts";
import { buildGemma2Graph, buildGemma3Graph, buildGemmaGraph } from "./gemma.ts";
import { buildGptNeoxGraph } from "./gpt-neox.ts";
import { buildGpt2Graph } from "./gpt2.ts";
import { buildLlamaGraph } from "./llama.ts";
import { buildOptGraph } from "./opt.ts";
import { buildQwen2Graph } from "./qwen2.ts";
import { buildQwen3Graph } from "./qwen3.ts";
import type { DecoderGraph, DecoderGraphOptions } from "./types.ts";

type FamilyBuilder = (weights: DecoderWeights, options: DecoderGraphOptions) => DecoderGraph;

/** Graph builders by `config.architecture` (Hugging Face `model_type`). */
const builders: Readonly<Record<string, FamilyBuilder>> = {
  llama: buildLlamaGraph,
  mistral: buildLlamaGraph,
  qwen2: buildQwen2Graph,
  qwen3: buildQwen3Graph,
  gemma: buildGemmaGraph,
  gemma2: buildGemma2Graph,
  gemma3_text: buildGemma3Graph,
  // Phi-3 is Llama once its fused qkv_proj / gate_up_proj are split at load (hf/phi3-fused.ts).
  phi3: buildLlamaGraph,
  gpt2: buildGpt2Graph,
  gpt_neox: buildGptNeoxGraph,
  opt: buildOptGraph,
};

/** The architectures {@link buildDecoderGraph} builds, as Hugging Face `model_type` values. */
export const supportedDecoderArchitectures: readonly string[] = Object.keys(builders);

function checkExtras(weights: DecoderWeights, source: string): void {
  const c = weights.config;
  const fail = (what: string): never => {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
      hint: "Fix the config the weights came with.",
      details: { source, config: c },
    });
  };
  if (c.layerNormEps !== undefined && !(c.layerNormEps > 0))
    fail(`layerNormEps must be positive, got ${c.layerNormEps}`);
  if (c.slidingWindow !== undefined && !(Number.isSafeInteger(c.slidingWindow) && c.slidingWindow > 0)) {
    fail(`slidingWindow must be a positive integer, got ${c.slidingWindow}`);
  }
  for (const field of [
    "queryPreAttentionScalar",
    "attentionLogitSoftcap",
    "finalLogitSoftcap",
    "ropeLocalTheta",
  ] as const) {
    const value = c[field];
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      fail(`${field} must be positive, got ${value}`);
  }
  if (
    c.slidingWindowPattern !== undefined &&
    !(Number.isSafeInteger(c.slidingWindowPattern) && c.slidingWindowPattern > 0)
  ) {
    fail(`slidingWindowPattern must be a positive integer, got ${c.slidingWindowPattern}`);
  }
  if (c.activation !== undefined && !["silu", "gelu", "gelu_tanh", "relu"].includes(c.activation)) {
    fail(`activation "${c.activation}" is not one of silu, gelu, gelu_tanh, relu`);
  }
}

/**
 * Builds the ONNX graph of a decoder-only language model from its weights, dispatching on
 * `weights.config.architecture`. Every family has the same interface (graphs/README.md): inputs
 * `input_ids` or `inputs_embeds`, `attention_mask`, `position_ids`, optionally `logit_positions`
 * and `value_mask.{layer}`; output `logits` and the requested taps; the tensors `embeddings`,
 * `attention_probs.{layer}`, `values.{layer}`, `residual.{layer}` and `mlp.{layer}` inside.
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for an architecture without a builder (the
 *   message lists the supported ones); MODEL_LOAD_FAILED naming each missing or misshapen tensor;
 *   INVALID_INPUT for malformed options.
 */
export function buildDecoderGraph(weights: DecoderWeights, options: DecoderGraphOptions = {}): DecoderGraph {
  const architecture = weights.config.architecture;
  const builder = Object.hasOwn(builders, architecture) ? builders[architecture] : undefined;
  if (builder === undefined) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `No graph builder for architecture "${architecture}"; supported: ${supportedDecoderArchitectures.join(", ")}.`,
      {
        hint: "Load a model of a supported family, or use its stock ONNX export.",
        details: { architecture, supported: supportedDecoderArchitectures },
      },
    );
  }
  const source = options.source ?? `${architecture} weights`;
  validateDecoderWeights(weights, source, options.weightFile?.isFiled);
  checkExtras(weights, source);
  return builder(weights, options);
}
