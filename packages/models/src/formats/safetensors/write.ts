import { TokenscopeError } from "@tokenscope/core";
import { numbersToBf16Bits, numbersToF16Bits } from "../../weights/half-floats.ts";
import { concatBytes } from "../binary.ts";
import type { SafetensorsDtype } from "./dtypes.ts";

/** A tensor to write: values in any numeric array, stored as `dtype` (floats rounded to nearest even). */
export interface SafetensorsWriteTensor {
  dtype: SafetensorsDtype;
  dims: number[];
  data: ArrayLike<number> | BigInt64Array;
}

/**
 * Writes a safetensors file: the header lists tensors in the order given, padded with spaces to a
 * multiple of 8 bytes so that every tensor starts aligned (as the Rust implementation does).
 */
export function writeSafetensors(
  tensors: Iterable<[string, SafetensorsWriteTensor]>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header["__metadata__"] = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    if (name === "__metadata__") {
      throw new TokenscopeError("INVALID_INPUT", 'A tensor cannot be named "__metadata__".', {
        hint: "Rename the tensor; safetensors reserves this key for the metadata.",
      });
    }
    const bytes = encodeTensor(name, tensor);
    header[name] = {
      dtype: tensor.dtype,
      shape: tensor.dims,
      data_offsets: [offset, offset + bytes.byteLength],
    };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  const padding = (8 - ((encoder.encode(json).byteLength + 8) % 8)) % 8;
  json += " ".repeat(padding);
  const headerBytes = encoder.encode(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  return concatBytes([prefix, headerBytes, ...chunks]);
}

function encodeTensor(name: string, tensor: SafetensorsWriteTensor): Uint8Array {
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (tensor.data.length !== count) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Tensor "${name}" has ${tensor.data.length} values for dims [${tensor.dims}].`,
      { hint: "Pass as many values as the dims call for." },
    );
  }
  const numbers = (): ArrayLike<number> =>
    tensor.data instanceof BigInt64Array ? Array.from(tensor.data, (value) => Number(value)) : tensor.data;
  const typed = (() => {
    switch (tensor.dtype) {
      case "F64":
        return Float64Array.from(numbers());
      case "F32":
        return Float32Array.from(numbers());
      case "F16":
        return numbersToF16Bits(numbers());
      case "BF16":
        return numbersToBf16Bits(numbers());
      case "I64":
        return tensor.data instanceof BigInt64Array
          ? tensor.data
          : BigInt64Array.from(Array.from(tensor.data), (value) => BigInt(Math.trunc(value)));
      case "I32":
        return Int32Array.from(numbers());
      case "I16":
        return Int16Array.from(numbers());
      case "I8":
        return Int8Array.from(numbers());
      case "U8":
      case "BOOL":
        return Uint8Array.from(numbers());
    }
  })();
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}
