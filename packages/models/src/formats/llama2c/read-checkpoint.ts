import { TokenscopeError } from "@tokenscope/core";
import type { DecoderConfig, DecoderWeights, WeightTensor } from "../../weights/types.ts";
import { validateDecoderConfig } from "../../weights/validate.ts";
import { copyFloat32LE, viewOf } from "../binary.ts";
import { type ConfigFieldNames, checkDecoderConfigBounds } from "../config-bounds.ts";
import { assertNotGitLfsPointer } from "../lfs-pointer.ts";
import {
  LEGACY_HEADER_BYTES,
  type Llama2cVersion,
  llama2cConfig,
  llama2cSections,
  sectionFloats,
  sectionTensorName,
  VERSIONED_HEADER_BYTES,
  VERSIONED_MAGIC,
} from "./layout.ts";

/** Options of {@link readLlama2cCheckpoint}. */
export interface Llama2cReadOptions {
  /** Name of the file, used in error messages. */
  source?: string;
}

/** The header's names for the sizes (llama2.c's `Config` struct), for messages about them. */
const headerFieldNames: ConfigFieldNames = {
  hiddenSize: "dim",
  intermediateSize: "hidden_dim",
  numLayers: "n_layers",
  numHeads: "n_heads",
  numKeyValueHeads: "n_kv_heads",
  vocabSize: "vocab_size",
  headDim: "dim / n_heads",
};

interface Header {
  config: DecoderConfig;
  sharedClassifier: boolean;
  version: Llama2cVersion;
  headerBytes: number;
}

/**
 * Reads a llama2.c checkpoint: the "legacy" export (a header of 7 int32, then fp32 weights in
 * run.c's order; a negative vocab size means a separate output matrix at the end) and the
 * version-1 fp32 export ("ak42" header of 256 bytes). Tensors get Hugging Face names; the config
 * takes llama2.c's fixed RMSNorm eps 1e-5, RoPE theta 10000, interleaved rotary pairs, BOS 1, EOS 2.
 * A Git LFS pointer, a header whose sizes are not positive, not whole or beyond tokenscope's limits,
 * and a file whose size does not match its header fail with `MODEL_LOAD_FAILED` before anything is
 * allocated.
 */
export function readLlama2cCheckpoint(bytes: Uint8Array, options: Llama2cReadOptions = {}): DecoderWeights {
  const source = options.source ?? "llama2.c checkpoint";
  assertNotGitLfsPointer(bytes, source);
  const header = readHeader(bytes, source);
  checkHeaderSizes(header.config, source);
  validateDecoderConfig(header.config, source);
  checkDecoderConfigBounds(header.config, source, headerFieldNames);
  const { config } = header;
  const sections = llama2cSections(config, header.version, header.sharedClassifier);
  const expectedBytes =
    header.headerBytes +
    sections.reduce((sum, section) => sum + sectionFloats(section, config.numLayers) * 4, 0);
  if (bytes.byteLength !== expectedBytes) {
    throw loadError(
      source,
      `the header (dim ${config.hiddenSize}, hidden_dim ${config.intermediateSize}, ${config.numLayers} layers, ` +
        `${config.numHeads} heads, ${config.numKeyValueHeads} kv heads, vocab ${config.vocabSize}, ` +
        `seq_len ${config.contextLength}${header.sharedClassifier ? "" : ", separate output matrix"}) calls for ` +
        `${expectedBytes} bytes but the file has ${bytes.byteLength}`,
      bytes.byteLength < expectedBytes
        ? "The file is truncated; download or export it again."
        : "The file has trailing data: it may be another llama2.c export version; re-export with --version 0.",
    );
  }
  const tensors = new Map<string, WeightTensor>();
  let offset = header.headerBytes;
  for (const section of sections) {
    const count = section.dims.reduce((a, b) => a * b, 1);
    const layers = section.perLayer ? config.numLayers : 1;
    for (let layer = 0; layer < layers; layer++) {
      const name = sectionTensorName(section, layer);
      if (name) tensors.set(name, { dims: [...section.dims], data: copyFloat32LE(bytes, offset, count) });
      offset += count * 4;
    }
  }
  return { config, tensors };
}

/** The header's sizes must be positive and dim a multiple of n_heads, said in the header's own names. */
function checkHeaderSizes(config: DecoderConfig, source: string): void {
  for (const [field, name] of Object.entries(headerFieldNames)) {
    if (field === "headDim") continue;
    const value = config[field as keyof ConfigFieldNames];
    if (!(value > 0)) {
      throw loadError(
        source,
        `the header's ${name} is ${value}, not a positive size`,
        "This is not a llama2.c checkpoint, or its header is damaged; export it again.",
      );
    }
  }
  if (config.hiddenSize % config.numHeads !== 0) {
    throw loadError(
      source,
      `the header's dim ${config.hiddenSize} is not a multiple of n_heads ${config.numHeads}`,
      "This is not a llama2.c checkpoint, or its header is damaged; export it again.",
    );
  }
}

function readHeader(bytes: Uint8Array, source: string): Header {
  if (bytes.byteLength < LEGACY_HEADER_BYTES) {
    throw loadError(
      source,
      `the file has ${bytes.byteLength} bytes, fewer than the ${LEGACY_HEADER_BYTES}-byte header`,
      "This is not a llama2.c checkpoint, or it is truncated.",
    );
  }
  const view = viewOf(bytes);
  const int32s = (offset: number) => Array.from({ length: 7 }, (_, i) => view.getInt32(offset + i * 4, true));
  if (view.getUint32(0, true) === VERSIONED_MAGIC) {
    const version = view.getInt32(4, true);
    if (version !== 1) {
      throw loadError(
        source,
        `llama2.c export version ${version} is not supported (only the legacy format and version 1, fp32)`,
        "Re-export the model with llama2.c's export.py --version 0 or --version 1.",
      );
    }
    if (bytes.byteLength < VERSIONED_HEADER_BYTES) {
      throw loadError(source, "the version-1 header is truncated", "Download or export the file again.");
    }
    const shared = view.getUint8(36) === 1;
    return {
      config: llama2cConfig(int32s(8), shared),
      sharedClassifier: shared,
      version: 1,
      headerBytes: VERSIONED_HEADER_BYTES,
    };
  }
  const ints = int32s(0);
  const shared = ints[5]! > 0;
  return {
    config: llama2cConfig(ints, shared),
    sharedClassifier: shared,
    version: 0,
    headerBytes: LEGACY_HEADER_BYTES,
  };
}

function loadError(source: string, what: string, hint: string): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, { hint, details: { source } });
}
