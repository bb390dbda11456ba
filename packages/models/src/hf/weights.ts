import { TokenscopeError } from "@tokenscope/core";
import { type SafetensorsFile, safetensorHalf, safetensorToFloat32 } from "../formats/safetensors/read.ts";
import { lazyWeightTensor } from "../weights/lazy-tensor.ts";
import { expectedTensorDims, LM_HEAD, neoxNames } from "../weights/names.ts";
import type { DecoderConfig, DecoderWeights, WeightTensor } from "../weights/types.ts";
import { validateDecoderWeights } from "../weights/validate.ts";
import { phi3CheckpointTensorDims, splitPhi3FusedTensors } from "./phi3-fused.ts";

/**
 * Prefix of every tensor of the family's `*ForCausalLM` checkpoint except the output matrix. A
 * checkpoint saved from the bare model class (`GPT2Model`: the original `gpt2` files; `LlamaModel`;
 * `GPTNeoXModel`) lacks it.
 */
const basePrefix: Readonly<Record<string, string>> = {
  gpt2: "transformer.",
  gpt_neox: "gpt_neox.",
};

/**
 * Non-persistent buffers that older transformers versions saved with the weights: GPT-2's and
 * GPT-NeoX's causal masks (`attn.bias`, `attention.bias`, `masked_bias`) and rotary inverse
 * frequencies. They are recomputed, never learned.
 */
const bufferPattern = /(^|\.)(attn|attention)\.(masked_)?bias$|(^|\.)rotary_emb\.inv_freq$/;

const floatDtypes = new Set(["F32", "F16", "BF16", "F64"]);

/** The vision tower and projector of a multimodal Gemma 3 checkpoint: not part of the text model. */
const gemma3VisionPattern = /^(model\.)?(vision_tower|multi_modal_projector)\./;

/** The output matrix's name in the family's checkpoints. */
function outputName(architecture: string): string {
  return architecture === "gpt_neox" ? neoxNames.output : LM_HEAD;
}

/**
 * Maps one checkpoint name to the name the graph builders read (`weights/names.ts`): unchanged when
 * expected, else with the family's base prefix added (bare-model checkpoints).
 */
function canonicalName(architecture: string, name: string, expected: ReadonlyMap<string, number[]>): string {
  if (expected.has(name)) return name;
  // A multimodal Gemma 3 checkpoint keeps the text model under `language_model.` (or, saved by
  // transformers ≥ 4.52, `model.language_model.`).
  if (architecture === "gemma3_text") {
    const text = name.replace(/^language_model\./, "").replace(/^model\.language_model\./, "model.");
    if (expected.has(text)) return text;
  }
  const prefix = basePrefix[architecture] ?? "model.";
  return expected.has(prefix + name) ? prefix + name : name;
}

/**
 * Turns the tensors of a Hugging Face safetensors checkpoint into {@link DecoderWeights}: F32, F16,
 * BF16 (and F64) converted to fp32, names mapped to what the graph builders read (a bare-model
 * checkpoint gets its family prefix), saved buffers (causal masks, rotary frequencies) and a
 * duplicate output matrix of a tied model dropped, Phi-3's fused `qkv_proj` / `gate_up_proj` split
 * into the Llama q/k/v and gate/up matrices (see `splitPhi3FusedTensors`), and every shape checked
 * against the config. `source` names the file or folder in error messages.
 * @throws TokenscopeError MODEL_LOAD_FAILED for integer (quantized) tensors and for tensors that
 *   are missing, misshapen or foreign to the architecture (named).
 */
export function hfTensorsToDecoderWeights(
  config: DecoderConfig,
  file: SafetensorsFile,
  source: string,
): DecoderWeights {
  const expected = expectedTensorDims(config);
  const phi3 = config.architecture === "phi3";
  // What the checkpoint holds: Phi-3 stores fused matrices where the graphs read split ones.
  const onDisk = phi3 ? phi3CheckpointTensorDims(config, expected) : expected;
  const tiedOutput = config.tieWordEmbeddings ? outputName(config.architecture) : undefined;
  const tensors = new Map<string, WeightTensor>();
  for (const [rawName, tensor] of file.tensors) {
    if (bufferPattern.test(rawName)) continue;
    if (config.architecture === "gemma3_text" && gemma3VisionPattern.test(rawName)) continue;
    const name = canonicalName(config.architecture, rawName, onDisk);
    // transformers ties the output to the embedding at load; some checkpoints still carry a copy.
    if (name === tiedOutput) continue;
    if (!floatDtypes.has(tensor.dtype)) {
      throw new TokenscopeError(
        "MODEL_LOAD_FAILED",
        `${source}: tensor "${rawName}" has dtype ${tensor.dtype}; only float weights (F32, F16, BF16) are read.`,
        {
          hint: "Quantized safetensors (GPTQ, AWQ, bitsandbytes) are not supported: load the unquantized checkpoint or a GGUF file.",
          details: { source, tensor: rawName, dtype: tensor.dtype },
        },
      );
    }
    // Converted when first read: from a file read in pieces, only the tensors in use are held.
    tensors.set(
      name,
      lazyWeightTensor([...tensor.dims], () => safetensorToFloat32(tensor), safetensorHalf(tensor)),
    );
  }
  if (phi3) splitPhi3FusedTensors(config, tensors, source);
  const weights: DecoderWeights = { config, tensors };
  validateDecoderWeights(weights, source);
  return weights;
}
