import { TokenscopeError } from "@tokenscope/core";
import type { DecoderWeights } from "../../weights/types.ts";
import { validateDecoderWeights } from "../../weights/validate.ts";
import { concatBytes } from "../binary.ts";
import {
  LEGACY_HEADER_BYTES,
  type Llama2cVersion,
  llama2cSections,
  sectionTensorName,
  VERSIONED_HEADER_BYTES,
  VERSIONED_MAGIC,
} from "./layout.ts";

/** Options of {@link writeLlama2cCheckpoint}. */
export interface Llama2cWriteOptions {
  /** 0: the legacy format run.c reads (default); 1: the fp32 "ak42" version 1. */
  version?: Llama2cVersion;
}

/**
 * Writes weights as a llama2.c checkpoint, for tests and for handing tiny models to llama2.c.
 * llama2.c fixes what its header cannot say, so the weights must use interleaved RoPE with theta
 * 10000, RMSNorm eps 1e-5 and heads of hiddenSize / numHeads.
 */
export function writeLlama2cCheckpoint(
  weights: DecoderWeights,
  options: Llama2cWriteOptions = {},
): Uint8Array {
  const version = options.version ?? 0;
  const { config } = weights;
  validateDecoderWeights(weights, "weights to write");
  const unsupported = [
    config.ropeStyle !== "interleaved" && `RoPE style "${config.ropeStyle}" (convert with withRopeStyle)`,
    config.ropeTheta !== 10000 && `RoPE theta ${config.ropeTheta}`,
    Math.abs(config.rmsNormEps - 1e-5) > 1e-12 && `RMSNorm eps ${config.rmsNormEps}`,
    config.headDim * config.numHeads !== config.hiddenSize && `head size ${config.headDim}`,
  ].filter((problem): problem is string => typeof problem === "string");
  if (unsupported.length > 0) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `llama2.c checkpoints cannot hold ${unsupported.join(", ")}: run.c fixes interleaved RoPE, theta 10000, eps 1e-5 and head size dim / n_heads.`,
      { hint: "Write these weights as safetensors or GGUF instead." },
    );
  }
  const shared = config.tieWordEmbeddings;
  const ints = [
    config.hiddenSize,
    config.intermediateSize,
    config.numLayers,
    config.numHeads,
    config.numKeyValueHeads,
    shared || version === 1 ? config.vocabSize : -config.vocabSize,
    config.contextLength,
  ];
  const header = new Uint8Array(version === 1 ? VERSIONED_HEADER_BYTES : LEGACY_HEADER_BYTES);
  const view = new DataView(header.buffer);
  const intsAt = version === 1 ? 8 : 0;
  if (version === 1) {
    view.setUint32(0, VERSIONED_MAGIC, true);
    view.setInt32(4, 1, true);
    view.setUint8(36, shared ? 1 : 0);
  }
  ints.forEach((value, i) => {
    view.setInt32(intsAt + i * 4, value, true);
  });
  const chunks: Uint8Array[] = [header];
  for (const section of llama2cSections(config, version, shared)) {
    if (section.name === "rope_tables") {
      chunks.push(ropeTables(config.contextLength, config.headDim, config.ropeTheta));
      continue;
    }
    const layers = section.perLayer ? config.numLayers : 1;
    for (let layer = 0; layer < layers; layer++) {
      const data = weights.tensors.get(sectionTensorName(section, layer)!)!.data;
      chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  }
  return concatBytes(chunks);
}

/** The legacy cos and sin tables [seq_len, headDim / 2], as llama2.c's export writes them. */
function ropeTables(seqLen: number, headDim: number, theta: number): Uint8Array {
  const half = headDim / 2;
  const tables = new Float32Array(2 * seqLen * half);
  for (let pos = 0; pos < seqLen; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = pos * theta ** ((-2 * i) / headDim);
      tables[pos * half + i] = Math.cos(angle);
      tables[seqLen * half + pos * half + i] = Math.sin(angle);
    }
  }
  return new Uint8Array(tables.buffer);
}
