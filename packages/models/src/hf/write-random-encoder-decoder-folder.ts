import { checkLimit, seededUniform, TokenscopeError, throwIfAborted } from "@tokenscope/core";
import type { SafetensorsDtype } from "../formats/safetensors/dtypes.ts";
import { type SafetensorsWriteTensor, writeSafetensors } from "../formats/safetensors/write.ts";
import { type BartConfig, bartConfigFromHf } from "../graphs/encoder-decoder/bart-config.ts";
import { bartNames, bartTensorDims } from "../graphs/encoder-decoder/bart-names.ts";
import { type T5Config, t5ConfigFromHf } from "../graphs/encoder-decoder/t5-config.ts";
import { t5Names, t5TensorDims } from "../graphs/encoder-decoder/t5-names.ts";
import { buildMarianTokenizerFiles } from "../tokenizers/sentencepiece/random-marian-tokenizer.ts";
import type { WeightTensor } from "../weights/types.ts";
import {
  type EncoderDecoderJsonSizes,
  encoderDecoderConfigJson,
  encoderDecoderGenerationJson,
  type RandomEncoderDecoderArchitecture,
} from "./encoder-decoder-config-json.ts";
import { checkpoint, invalid, json, positive, writeModelFolder } from "./random-folder-files.ts";
import { buildHfTokenizerFiles, minRandomTokenizerVocab } from "./random-tokenizer.ts";
import { buildT5TokenizerFiles, minT5TokenizerVocab } from "./random-unigram-tokenizer.ts";

export type { RandomEncoderDecoderArchitecture } from "./encoder-decoder-config-json.ts";

/** Options of {@link writeRandomEncoderDecoderFolder} (`tokenscope models random --arch bart|mbart|marian|t5`). */
export interface RandomEncoderDecoderFolderOptions {
  architecture: RandomEncoderDecoderArchitecture;
  /** Layers of the encoder, and of the decoder. */
  layers: number;
  /** `d_model`. */
  hidden: number;
  /** Heads of every attention; BART-family heads must divide `hidden`. */
  heads: number;
  /** Vocabulary size of model and tokenizer (the tokenizer's smallest: 263 bart, 267 mbart, 99 t5, 110 marian). */
  vocab: number;
  seed: number;
  /** Folder to write: as `writeRandomHfFolder`'s `out` (written beside, renamed into place). */
  out: string;
  /** Replace `out` if it is a model folder; the same rules as `writeRandomHfFolder`'s `force`. */
  force?: boolean;
  /** Cancels the write (Ctrl-C): `out` is left as it was and the call rejects with `ABORTED`. */
  signal?: AbortSignal;
  /**
   * Feed-forward width (`encoder_ffn_dim` = `decoder_ffn_dim`, T5's `d_ff`); default 4 × hidden for
   * the BART family and T5 relu (t5-small), 2 × hidden for T5 gated-gelu (flan-t5-small).
   */
  ffn?: number;
  /** T5's head size `d_kv`; default hidden / heads. The BART family has no other head size. */
  headDim?: number;
  /** Stored dtype of the weights; default F32. */
  dtype?: Extract<SafetensorsDtype, "F32" | "F16" | "BF16">;
  /**
   * T5's feed-forward: "gated-gelu" (default; flan-t5, T5 v1.1: untied output head) or "relu" (T5
   * v1.0: head tied to the shared table).
   */
  feedForward?: "relu" | "gated-gelu";
  /** `max_position_embeddings` of the BART family (T5: `n_positions`, no table); default 128. */
  contextLength?: number;
}

/** What {@link writeRandomEncoderDecoderFolder} wrote. */
export interface RandomEncoderDecoderFolder {
  folder: string;
  /** The config as `bartConfigFromHf` / `t5ConfigFromHf` read it from the written config.json. */
  config: BartConfig | T5Config;
  /** The weights as written, before rounding to `dtype`. */
  weights: Map<string, WeightTensor>;
  /** File names written into the folder. */
  files: string[];
}

const architectures: readonly RandomEncoderDecoderArchitecture[] = ["bart", "mbart", "marian", "t5"];

/** mBART-50's language codes written by {@link writeRandomEncoderDecoderFolder}; the first is the source. */
export const randomMbartLanguageCodes = ["en_XX", "fr_XX", "de_DE", "ro_RO"] as const;

/** Smallest `vocab` the family's tokenizer takes (Marian: whatever its builder refuses). */
function smallestVocab(architecture: RandomEncoderDecoderArchitecture): number | undefined {
  if (architecture === "t5") return minT5TokenizerVocab;
  if (architecture === "bart") return minRandomTokenizerVocab;
  if (architecture === "mbart") return minRandomTokenizerVocab + randomMbartLanguageCodes.length;
  return undefined;
}

interface Tokenizer {
  files: Map<string, string | Uint8Array>;
  ids: Pick<
    EncoderDecoderJsonSizes,
    "padTokenId" | "eosTokenId" | "bosTokenId" | "decoderStartTokenId" | "forcedBosTokenId"
  >;
}

/** An id of the tokenizer's vocabulary; the tokenizer builders put every special token in it. */
function idIn(vocab: ReadonlyMap<string, number>, token: string): number {
  const id = vocab.get(token);
  if (id === undefined) throw new Error(`random tokenizer without ${token}`);
  return id;
}

/** The family's tokenizer files and the special ids config.json must carry. */
function tokenizerOf(
  architecture: RandomEncoderDecoderArchitecture,
  vocabSize: number,
  seed: number,
  contextLength: number,
): Tokenizer {
  if (architecture === "marian") {
    const marian = buildMarianTokenizerFiles({ vocabSize, seed });
    const vocab = new Map<string, number>(Object.entries(marian.vocab));
    const pad = idIn(vocab, "<pad>");
    return {
      files: new Map<string, string | Uint8Array>([
        ["source.spm", marian.sourceSpm],
        ["target.spm", marian.targetSpm],
        ["vocab.json", json(marian.vocab)],
        ["tokenizer_config.json", json(marian.tokenizerConfig)],
        ["special_tokens_map.json", json({ eos_token: "</s>", unk_token: "<unk>", pad_token: "<pad>" })],
      ]),
      ids: { padTokenId: pad, eosTokenId: idIn(vocab, "</s>"), decoderStartTokenId: pad },
    };
  }
  const built =
    architecture === "t5"
      ? buildT5TokenizerFiles({ vocabSize, modelMaxLength: contextLength })
      : buildHfTokenizerFiles({
          style: "byte-level",
          vocabSize,
          modelMaxLength: contextLength,
          seq2seq: architecture === "bart" ? "bart" : "mbart-50",
          ...(architecture === "mbart" ? { languageCodes: randomMbartLanguageCodes } : {}),
        });
  const model = built.tokenizerJson["model"] as { vocab: Record<string, number> | [string, number][] };
  const vocab = Array.isArray(model.vocab)
    ? new Map(model.vocab.map(([piece], id) => [piece, id]))
    : new Map(Object.entries(model.vocab));
  const config = built.tokenizerConfig;
  const specialKeys = [
    "bos_token",
    "eos_token",
    "unk_token",
    "pad_token",
    "sep_token",
    "cls_token",
    "additional_special_tokens",
  ];
  const specialTokensMap = Object.fromEntries(
    specialKeys.filter((key) => key in config).map((key) => [key, config[key]]),
  );
  const files = new Map<string, string | Uint8Array>([
    ["tokenizer.json", json(built.tokenizerJson)],
    ["tokenizer_config.json", json(config)],
    ["special_tokens_map.json", json(specialTokensMap)],
  ]);
  const eos = idIn(vocab, "</s>");
  const pad = idIn(vocab, "<pad>");
  if (architecture === "t5")
    return { files, ids: { padTokenId: pad, eosTokenId: eos, decoderStartTokenId: pad } };
  const bos = idIn(vocab, "<s>");
  return {
    files,
    // bart-large-cnn forces <s> first; mBART-50 many-to-many forces the target language at generation.
    ids: {
      padTokenId: pad,
      eosTokenId: eos,
      bosTokenId: bos,
      decoderStartTokenId: eos,
      forcedBosTokenId: architecture === "bart" ? bos : null,
    },
  };
}

/** The sizes of config.json, checked; refuses what would not make a model, naming the flag. */
function checkedSizes(
  options: RandomEncoderDecoderFolderOptions,
): Omit<EncoderDecoderJsonSizes, keyof Tokenizer["ids"]> {
  const { architecture, hidden, heads } = options;
  if (!architectures.includes(architecture)) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `models random: no encoder-decoder architecture "${architecture}"; supported: ${architectures.join(", ")}.`,
      { hint: "Pick one of the supported architectures with --arch." },
    );
  }
  for (const name of ["layers", "hidden", "heads", "vocab", "ffn"] as const) positive(name, options[name]);
  positive("head-dim", options.headDim);
  positive("context-length", options.contextLength);
  const t5 = architecture === "t5";
  if (!t5 && options.feedForward !== undefined)
    invalid(`--feed-forward is T5's; ${architecture} has one feed-forward`, "Leave --feed-forward out.");
  if (options.feedForward !== undefined && !["relu", "gated-gelu"].includes(options.feedForward))
    invalid(
      `--feed-forward must be relu or gated-gelu, got ${options.feedForward}`,
      "Pass relu or gated-gelu.",
    );
  if (!t5 && options.headDim !== undefined && options.headDim * heads !== hidden)
    invalid(`${architecture} has head size hidden / heads, not ${options.headDim}`, "Leave --head-dim out.");
  const headDim = options.headDim ?? hidden / heads;
  if (!Number.isSafeInteger(headDim)) {
    invalid(
      `hidden ${hidden} / heads ${heads} gives head size ${headDim}, not an integer`,
      t5 ? "Pick heads dividing hidden, or pass --head-dim." : "Pick heads dividing hidden.",
    );
  }
  const smallest = smallestVocab(architecture);
  if (smallest !== undefined && options.vocab < smallest) {
    invalid(
      `--vocab ${options.vocab} is too small for the ${architecture} tokenizer, which needs at least ${smallest} ids`,
      `Pass --vocab ${smallest} or more (512 is a good small size).`,
    );
  }
  const feedForward = options.feedForward ?? "gated-gelu";
  const ffnFactor = t5 && feedForward === "gated-gelu" ? 2 : 4;
  return {
    architecture,
    layers: options.layers,
    hidden,
    heads,
    vocab: options.vocab,
    ffn: options.ffn ?? ffnFactor * hidden,
    headDim,
    contextLength: options.contextLength ?? 128,
    feedForward,
    dtype: options.dtype ?? "F32",
  };
}

function tensorDims(config: BartConfig | T5Config): Map<string, number[]> {
  return config.architecture === "t5" ? t5TensorDims(config) : bartTensorDims(config);
}

/** Values filled between two yields: a few milliseconds of work. */
const VALUES_PER_STEP = 1 << 20;

/**
 * Random weights for every tensor of `config`, the same for the same seed, uniform as
 * `randomDecoderWeights` makes them: matrices in ±1/sqrt(in), norm scales in 0.5..1.5, biases
 * (and `final_logits_bias`) in ±0.2; T5's shared table in ±1 (Hugging Face initializes it with
 * std 1, and the tied head rescales by hidden^-0.5), so that the logits are of order one. Yields
 * to the event loop every million values; stops with ABORTED when `signal` aborts.
 */
async function randomTensors(
  config: BartConfig | T5Config,
  seed: number,
  signal: AbortSignal | undefined,
): Promise<Map<string, WeightTensor>> {
  const random = seededUniform(seed);
  const tensors = new Map<string, WeightTensor>();
  for (const [name, dims] of tensorDims(config)) {
    const count = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    const scale = name === t5Names.shared ? 1 : 1 / Math.sqrt(dims[1] ?? 1);
    const value =
      name.endsWith(".bias") || name === bartNames.finalLogitsBias
        ? () => 0.4 * random() - 0.2
        : dims.length === 1
          ? () => 0.5 + random()
          : () => (2 * random() - 1) * scale;
    for (let start = 0; start < count; start += VALUES_PER_STEP) {
      const end = Math.min(count, start + VALUES_PER_STEP);
      for (let i = start; i < end; i++) data[i] = value();
      if (end < count) await checkpoint(signal);
    }
    tensors.set(name, { dims: [...dims], data });
    await checkpoint(signal);
  }
  return tensors;
}

/** Bytes of the float32 weights, counted from their shapes before any is made. */
function weightBytes(config: BartConfig | T5Config): number {
  let values = 0;
  for (const [, dims] of tensorDims(config)) values += dims.reduce((a, b) => a * b, 1);
  return 4 * values;
}

/**
 * Writes a Hugging Face encoder-decoder folder with random weights, the same for the same seed:
 * config.json and generation_config.json as transformers writes them for BartConfig,
 * MBartConfig, MarianConfig or T5Config, model.safetensors (every tensor `bartTensorDims` /
 * `t5TensorDims` lists), and a working tokenizer whose special ids config.json carries:
 * - bart: byte-level BPE, `<s> X </s>` (BartTokenizer); start = eos = `</s>`, forced BOS `<s>`;
 * - mbart: the same plus mBART-50's language codes {@link randomMbartLanguageCodes} at the last
 *   ids, `en_XX X </s>` (MBart50Tokenizer); start = `</s>`, `forced_bos_token_id` null;
 * - t5: SentencePiece Unigram, `<pad>` 0 `</s>` 1 `<unk>` 2, `X </s>` (T5Tokenizer); start = pad;
 * - marian: source.spm, target.spm and vocab.json (`buildMarianTokenizerFiles`), `</s>` 0 and
 *   `<pad>` = start = vocab − 1; sinusoidal positions, scaled embeddings.
 * Backs `tokenscope models random --arch bart|mbart|marian|t5`. The sizes and `out` are checked
 * before the weights are generated; the folder appears complete or not at all, also on Ctrl-C.
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for another family; INVALID_INPUT for sizes
 *   that do not make the model or its tokenizer (the flag named); IO_ERROR when `out` is refused
 *   (as `writeRandomHfFolder`) or cannot be written; ABORTED when `signal` aborts.
 */
export async function writeRandomEncoderDecoderFolder(
  options: RandomEncoderDecoderFolderOptions,
): Promise<RandomEncoderDecoderFolder> {
  const sizes = checkedSizes(options);
  const { signal } = options;
  throwIfAborted(signal);
  const tokenizer = tokenizerOf(sizes.architecture, sizes.vocab, options.seed, sizes.contextLength);
  const full: EncoderDecoderJsonSizes = { ...sizes, ...tokenizer.ids };
  const configJson = encoderDecoderConfigJson(full);
  const config = sizes.architecture === "t5" ? t5ConfigFromHf(configJson) : bartConfigFromHf(configJson);
  checkLimit("randomModelBytes", weightBytes(config), "models random: the size of the weights");
  const { result: weights, names } = await writeModelFolder(options.out, options, async () => {
    const weights = await randomTensors(config, options.seed, signal);
    const tensors = [...weights].map(([name, tensor]): [string, SafetensorsWriteTensor] => [
      name,
      { dtype: sizes.dtype, dims: tensor.dims, data: tensor.data },
    ]);
    const files = new Map<string, string | Uint8Array>([
      ["config.json", json(configJson)],
      ["generation_config.json", json(encoderDecoderGenerationJson(full))],
      ...tokenizer.files,
      ["model.safetensors", writeSafetensors(tensors, { format: "pt" })],
    ]);
    await checkpoint(signal);
    return { result: weights, files };
  });
  return { folder: options.out, config, weights, files: names };
}
