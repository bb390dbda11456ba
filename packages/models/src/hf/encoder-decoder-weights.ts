import { TokenscopeError } from "@tokenscope/core";
import { type SafetensorsFile, safetensorToFloat32 } from "../formats/safetensors/read.ts";
import type { WeightTensor } from "../weights/types.ts";

/** How a family's checkpoint names map onto the names its graph builder reads. */
export interface EncoderDecoderTensorLayout {
  /** Every tensor the builder reads, with its shape. */
  expected: ReadonlyMap<string, readonly number[]>;
  /**
   * Other names a checkpoint may store an expected tensor under (tied tables saved under a stack's
   * name): the first found is used when the expected name itself is absent; the rest are dropped.
   */
  aliases: ReadonlyMap<string, readonly string[]>;
  /** Tensors a checkpoint may carry that the builder recomputes (Marian's sinusoidal positions). */
  ignored?: RegExp;
  /**
   * Prefix a bare-model checkpoint lacks (`BartModel` saves `shared.weight` for
   * `model.shared.weight`): a name found only with it added is read under that name.
   */
  prefix?: string;
  /** Buffers absent from some checkpoints, zeros by the modeling code (`final_logits_bias`). */
  zeroWhenAbsent?: readonly string[];
}

const floatDtypes = new Set(["F32", "F16", "BF16", "F64"]);

function loadFailed(source: string, message: string, hint: string, details: Record<string, unknown>) {
  return new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${message}`, {
    hint,
    details: { source, ...details },
  });
}

/**
 * The tensors of an encoder-decoder safetensors checkpoint as fp32 under the builder's names: F32,
 * F16, BF16 (and F64) converted, aliases resolved, recomputed buffers dropped, and every shape
 * checked against `layout.expected`.
 * @throws TokenscopeError MODEL_LOAD_FAILED for a tensor that is missing, misshapen, quantized or
 *   foreign to the architecture (named).
 */
export function hfEncoderDecoderTensors(
  file: SafetensorsFile,
  layout: EncoderDecoderTensorLayout,
  source: string,
): Map<string, WeightTensor> {
  const aliasOf = new Map<string, string>();
  for (const [name, others] of layout.aliases) for (const other of others) aliasOf.set(other, name);
  const tensors = new Map<string, WeightTensor>();
  const read = (rawName: string, name: string) => {
    const tensor = file.tensors.get(rawName)!;
    if (!floatDtypes.has(tensor.dtype)) {
      throw loadFailed(
        source,
        `tensor "${rawName}" has dtype ${tensor.dtype}; only float weights (F32, F16, BF16) are read.`,
        "Load the unquantized checkpoint.",
        { tensor: rawName, dtype: tensor.dtype },
      );
    }
    const want = layout.expected.get(name)!;
    if (tensor.dims.length !== want.length || tensor.dims.some((size, axis) => size !== want[axis])) {
      throw loadFailed(
        source,
        `tensor "${rawName}" has shape [${tensor.dims.join(", ")}], the config implies [${want.join(", ")}].`,
        "The weights do not belong to this config.json; download the folder again.",
        { tensor: rawName, dims: tensor.dims, expected: want },
      );
    }
    tensors.set(name, { dims: [...tensor.dims], data: safetensorToFloat32(tensor) });
  };
  const prefixed = (rawName: string) => {
    const name = layout.prefix !== undefined ? layout.prefix + rawName : rawName;
    return layout.expected.has(name) || aliasOf.has(name) ? name : rawName;
  };
  const byName = new Map<string, string>();
  for (const rawName of file.tensors.keys()) {
    const name = layout.expected.has(rawName) || aliasOf.has(rawName) ? rawName : prefixed(rawName);
    byName.set(name, rawName);
    if (layout.expected.has(name)) read(rawName, name);
    else if (!aliasOf.has(name) && !layout.ignored?.test(name)) {
      throw loadFailed(
        source,
        `tensor "${rawName}" is not part of this architecture.`,
        "Check that config.json's model_type matches the weights.",
        { tensor: rawName },
      );
    }
  }
  for (const [name, others] of layout.aliases) {
    if (tensors.has(name)) continue;
    const found = others.find((other) => byName.has(other));
    if (found !== undefined) read(byName.get(found)!, name);
  }
  for (const name of layout.zeroWhenAbsent ?? []) {
    const dims = layout.expected.get(name);
    if (dims && !tensors.has(name)) {
      tensors.set(name, { dims: [...dims], data: new Float32Array(dims.reduce((a, b) => a * b, 1)) });
    }
  }
  const missing = [...layout.expected.keys()].filter((name) => !tensors.has(name));
  if (missing.length > 0) {
    throw loadFailed(
      source,
      `${missing.length} tensor(s) the config implies are missing: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}.`,
      "The checkpoint is incomplete or of another architecture; download the folder again.",
      { missing: missing.slice(0, 20) },
    );
  }
  return tensors;
}
