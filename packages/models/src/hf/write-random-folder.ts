import { checkLimit, TokenscopeError } from "@tokenscope/core";
import { type SafetensorsDtype, torchDtypeNames } from "../formats/safetensors/dtypes.ts";
import { SAFETENSORS_INDEX_FILE, writeShardedSafetensors } from "../formats/safetensors/sharded.ts";
import { type SafetensorsWriteTensor, writeSafetensors } from "../formats/safetensors/write.ts";
import { randomWeightsCancellable, tinyFamilyConfigs } from "../testing/random-weights.ts";
import { expectedTensorDims } from "../weights/names.ts";
import type { DecoderConfig, DecoderWeights } from "../weights/types.ts";
import { supportedHfModelTypes } from "./config.ts";
import { hfConfigJson } from "./config-json.ts";
import { fusePhi3Tensors } from "./phi3-fused.ts";
import { checkpoint, invalid, json, positive, writeModelFolder } from "./random-folder-files.ts";
import { buildHfTokenizerFiles, type HfTokenizerStyle, randomTokenizerSpecials } from "./random-tokenizer.ts";

/** Options of {@link writeRandomHfFolder} (the `tokenscope models random` flags). */
export interface RandomHfFolderOptions {
  /** Hugging Face model_type: llama, mistral, qwen2, qwen3, gemma, gemma2, phi3, gpt2, gpt_neox or opt. */
  architecture: string;
  layers: number;
  hidden: number;
  heads: number;
  /** Key/value heads (grouped-query attention); default `heads`. GPT-2, GPT-NeoX and OPT need `heads`. */
  kvHeads?: number;
  /** Vocabulary size of model and tokenizer (at least 263). */
  vocab: number;
  seed: number;
  /**
   * Folder to write: a new or empty folder, or with `force` a model folder, replaced whole. It is
   * written beside and renamed into place (see `writeFolderAtomically`), so it is never half written.
   */
  out: string;
  /**
   * Replace `out` if it is a non-empty model folder (`--force`); default false: refused. Even so,
   * a folder holding anything but a model's files (a `.git`, a sub-folder, other files) is refused,
   * as are the current folder, the home folder, the root and any folder containing them.
   */
  force?: boolean;
  /** Cancels the write (Ctrl-C): `out` is left as it was and the call rejects with `ABORTED`. */
  signal?: AbortSignal;
  /** Feed-forward width; default 4 × hidden (GPT-2, GPT-NeoX, OPT) or 3 × hidden. */
  intermediate?: number;
  /** Head size; default hidden / heads. */
  headDim?: number;
  /** Positions the model takes; default 128. */
  contextLength?: number;
  /** Stored dtype of the weights; default F32. */
  dtype?: Extract<SafetensorsDtype, "F32" | "F16" | "BF16">;
  /** Split the weights into shards of at most this many bytes, with an index; default one file. */
  maxShardBytes?: number;
  /** OPT only: token embeddings narrower than `hidden`, with project_in / project_out (opt-350m: 512 of 1024). */
  wordEmbeddingSize?: number;
  /** OPT only: false for post-norm layers (opt-350m's `do_layer_norm_before: false`); default true. */
  layerNormBefore?: boolean;
  /** Tokenizer layout; default SentencePiece for llama, mistral, gemma, gemma2 and phi3, byte-level for the others. */
  tokenizer?: HfTokenizerStyle;
}

/** What {@link writeRandomHfFolder} wrote. */
export interface RandomHfFolder {
  folder: string;
  config: DecoderConfig;
  /**
   * The weights as written, before rounding to `dtype`, under the names the graphs read (Phi-3's
   * are stored fused on disk, as its checkpoints are: `qkv_proj`, `gate_up_proj`).
   */
  weights: DecoderWeights;
  /** File names written into the folder. */
  files: string[];
}

const tokenizerClasses: Readonly<Record<string, string>> = {
  llama: "LlamaTokenizerFast",
  mistral: "LlamaTokenizerFast",
  qwen2: "Qwen2TokenizerFast",
  qwen3: "Qwen2TokenizerFast",
  gemma: "GemmaTokenizerFast",
  gemma2: "GemmaTokenizerFast",
  gemma3_text: "GemmaTokenizerFast",
  phi3: "LlamaTokenizerFast",
  gpt2: "GPT2TokenizerFast",
  gpt_neox: "GPTNeoXTokenizerFast",
  // OPT ships GPT-2's byte-level BPE (GPT2Tokenizer).
  opt: "GPT2TokenizerFast",
};

/** The config of the random model: the family's tiny test config with the requested sizes. */
function randomConfig(options: RandomHfFolderOptions): DecoderConfig {
  const { architecture, hidden, heads } = options;
  const base = tinyFamilyConfigs[architecture];
  if (!base || !supportedHfModelTypes.includes(architecture)) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `models random: no architecture "${architecture}"; supported: ${supportedHfModelTypes.join(", ")}.`,
      { hint: "Pick one of the supported architectures with --arch." },
    );
  }
  for (const name of ["layers", "hidden", "heads", "vocab", "kvHeads", "intermediate", "headDim"] as const) {
    positive(name, options[name]);
  }
  positive("context-length", options.contextLength);
  positive("word-embedding-size", options.wordEmbeddingSize);
  if (
    architecture !== "opt" &&
    (options.wordEmbeddingSize !== undefined || options.layerNormBefore !== undefined)
  ) {
    invalid(
      `${architecture} has no word embedding projection or post-norm layers`,
      "Use them with --arch opt.",
    );
  }
  const kvHeads = options.kvHeads ?? heads;
  // Families without grouped-query attention or a free head size (GPT-2, GPT-NeoX fuse q/k/v; OPT).
  const fusedAttention = architecture === "gpt2" || architecture === "gpt_neox" || architecture === "opt";
  if (heads % kvHeads !== 0)
    invalid(`${heads} heads cannot share ${kvHeads} key/value heads`, "Pick kv-heads dividing heads.");
  if (fusedAttention && kvHeads !== heads) {
    invalid(`${architecture} has no grouped-query attention`, "Leave --kv-heads out or set it to --heads.");
  }
  const headDim = options.headDim ?? hidden / heads;
  if (!Number.isSafeInteger(headDim) || headDim % 2 !== 0) {
    invalid(
      `hidden ${hidden} / heads ${heads} gives head size ${headDim}, not an even integer`,
      "Pick sizes with an even head size.",
    );
  }
  if (fusedAttention && headDim * heads !== hidden)
    invalid(`${architecture} needs heads × head size = hidden`, "Leave --head-dim out.");
  return {
    ...base,
    vocabSize: options.vocab,
    hiddenSize: hidden,
    intermediateSize: options.intermediate ?? (fusedAttention ? 4 : 3) * hidden,
    numLayers: options.layers,
    numHeads: heads,
    numKeyValueHeads: kvHeads,
    headDim,
    contextLength: options.contextLength ?? 128,
    bosTokenId: 1,
    eosTokenId: 2,
    ...(options.wordEmbeddingSize === undefined || options.wordEmbeddingSize === hidden
      ? {}
      : { wordEmbeddingSize: options.wordEmbeddingSize }),
    ...(options.layerNormBefore === undefined ? {} : { layerNormBefore: options.layerNormBefore }),
  };
}

/** Bytes of the float32 weights `config` calls for, counted from their shapes before any is made. */
function randomWeightBytes(config: DecoderConfig): number {
  let values = 0;
  for (const [, dims] of expectedTensorDims(config)) values += dims.reduce((a, b) => a * b, 1);
  return 4 * values;
}

/**
 * Writes a Hugging Face model folder with random weights, the same for the same seed: config.json
 * and generation_config.json as transformers writes them for the family, the weights as
 * model.safetensors (or shards with model.safetensors.index.json), and a working tokenizer
 * (tokenizer.json, tokenizer_config.json with a chat template; see `buildHfTokenizerFiles`) that
 * transformers.js loads. Backs `tokenscope models random`. The sizes and `out` are checked before
 * the weights are generated; the folder appears complete or not at all, also on Ctrl-C.
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for an unknown family; INVALID_INPUT for sizes
 *   that do not make a model (the flag named); IO_ERROR when `out` is refused (a file, a non-empty
 *   folder without `force`, a folder that is not a model folder, the current or home folder) or
 *   cannot be written; ABORTED when `signal` aborts.
 */
export async function writeRandomHfFolder(options: RandomHfFolderOptions): Promise<RandomHfFolder> {
  const config = randomConfig(options);
  checkLimit("randomModelBytes", randomWeightBytes(config), "models random: the size of the weights");
  const { signal } = options;
  const { result: weights, names } = await writeModelFolder(options.out, options, async () => {
    const { weights, files } = await randomFolderFiles(options, config, signal);
    return { result: weights, files };
  });
  return { folder: options.out, config, weights, files: names };
}

/** The folder's files by name: random weights for the seed, config, tokenizer. */
async function randomFolderFiles(
  options: RandomHfFolderOptions,
  config: DecoderConfig,
  signal: AbortSignal | undefined,
): Promise<{ weights: DecoderWeights; files: Map<string, string | Uint8Array> }> {
  const weights = await randomWeightsCancellable(options.architecture, config, options.seed, signal);
  const style =
    options.tokenizer ??
    (["llama", "mistral", "gemma", "gemma2", "gemma3_text", "phi3"].includes(options.architecture)
      ? "sentencepiece"
      : "byte-level");
  const tokenizer = buildHfTokenizerFiles({
    style,
    vocabSize: config.vocabSize,
    tokenizerClass: tokenizerClasses[options.architecture]!,
    nfc: options.architecture === "qwen2" || options.architecture === "qwen3",
    modelMaxLength: config.contextLength,
  });
  const dtype = options.dtype ?? "F32";
  const stored = config.architecture === "phi3" ? fusePhi3Tensors(config, weights.tensors) : weights.tensors;
  const tensors = [...stored].map(([name, tensor]): [string, SafetensorsWriteTensor] => [
    name,
    { dtype, dims: tensor.dims, data: tensor.data },
  ]);
  const files = new Map<string, string | Uint8Array>([
    // Gemma and OPT configs name the padding id; the random tokenizer's `<pad>` is id 3.
    [
      "config.json",
      json({
        ...hfConfigJson(config),
        torch_dtype: torchDtypeNames[dtype],
        ...(config.architecture.startsWith("gemma") || config.architecture === "opt"
          ? { pad_token_id: 3 }
          : {}),
      }),
    ],
    [
      "generation_config.json",
      json({ bos_token_id: config.bosTokenId, eos_token_id: config.eosTokenId, pad_token_id: 3 }),
    ],
    ["tokenizer.json", json(tokenizer.tokenizerJson)],
    ["tokenizer_config.json", json(tokenizer.tokenizerConfig)],
    [
      "special_tokens_map.json",
      json({
        bos_token: randomTokenizerSpecials.bos,
        eos_token: randomTokenizerSpecials.eos,
        unk_token: randomTokenizerSpecials.unk,
        pad_token: randomTokenizerSpecials.pad,
      }),
    ],
  ]);
  await checkpoint(signal);
  const metadata = { format: "pt" };
  if (options.maxShardBytes !== undefined) {
    const sharded = writeShardedSafetensors(tensors, { maxShardBytes: options.maxShardBytes, metadata });
    for (const [name, bytes] of sharded.shards) files.set(name, bytes);
    files.set(SAFETENSORS_INDEX_FILE, json(sharded.index));
  } else {
    files.set("model.safetensors", writeSafetensors(tensors, metadata));
  }
  await checkpoint(signal);
  return { weights, files };
}
