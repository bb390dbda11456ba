import { TokenscopeError } from "@tokenscope/core";
import type { DecoderWeights, WeightTensor } from "../weights/types.ts";

/** Token embedding matrix [vocab, hidden] by architecture (Hugging Face names). */
const embeddingNames: Readonly<Record<string, string>> = {
  llama: "model.embed_tokens.weight",
  mistral: "model.embed_tokens.weight",
  qwen2: "model.embed_tokens.weight",
  qwen3: "model.embed_tokens.weight",
  gemma: "model.embed_tokens.weight",
  gemma2: "model.embed_tokens.weight",
  phi3: "model.embed_tokens.weight",
  gpt2: "transformer.wte.weight",
  gpt_neox: "gpt_neox.embed_in.weight",
  opt: "model.decoder.embed_tokens.weight",
};

/** The token embedding matrix of `weights` (row-major [vocab, hidden]) and its name. */
export function tokenEmbedding(weights: DecoderWeights): { name: string; tensor: WeightTensor } {
  const name = embeddingNames[weights.config.architecture] ?? "model.embed_tokens.weight";
  const tensor = weights.tensors.get(name);
  if (!tensor) {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `The weights have no token embedding "${name}".`, {
      hint: "Check that the checkpoint is complete.",
    });
  }
  return { name, tensor };
}
