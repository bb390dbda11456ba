/**
 * TensorProto ⇄ {@link TensorConstant}. Numeric data is written as raw little-endian bytes (one memcpy,
 * never a per-element varint loop) and read from raw_data or the typed fields, whichever the file used.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  StringStringEntryProtoSchema,
  type TensorProto,
  TensorProto_DataLocation,
  TensorProtoSchema,
} from "onnx-buf";
import { TensorBackendError } from "../errors.ts";
import {
  allocateElements,
  bytesOfElements,
  bytesPerElement,
  dataTypeFromOnnx,
  elementCount,
  elementsFromBytes,
  ONNX_DATA_TYPE,
} from "./dtypes.ts";
import type { DataType, ExternalData, TensorConstant, TensorElements } from "./types.ts";

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** Largest integer a JS number holds exactly. */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** A bigint as a number, throwing INVALID_MODEL when it would lose precision. */
export function exactNumber(value: bigint, where: string): number {
  if (value > MAX_EXACT || value < -MAX_EXACT) {
    throw new TensorBackendError(
      "INVALID_MODEL",
      `${where} is ${value}, beyond the exact range of a number (2^53)`,
      {
        hint: "Re-export the model with smaller values (e.g. a Slice end of INT64_MAX as the dimension size).",
      },
    );
  }
  return Number(value);
}

function invalidData(name: string, dataType: DataType, got: number, want: number): TensorBackendError {
  return new TensorBackendError(
    "INVALID_MODEL",
    `tensor '${name}' (${dataType}) holds ${got} elements but its dims need ${want}`,
    { hint: "The model file is probably truncated or corrupt; re-export it.", details: { tensor: name } },
  );
}

function externalFrom(proto: TensorProto, dataType: DataType, dims: number[]): ExternalData {
  const entries = new Map(proto.externalData.map((entry) => [entry.key, entry.value]));
  const location = entries.get("location");
  if (location === undefined) {
    throw new TensorBackendError("INVALID_MODEL", `external tensor '${proto.name}' names no location`, {
      hint: "Re-save the model with onnx.save(..., save_as_external_data=True) so each tensor names its file.",
    });
  }
  const offset = Number(entries.get("offset") ?? "0");
  const length = Number(entries.get("length") ?? String(elementCount(dims) * bytesPerElement(dataType)));
  return { location, offset, length };
}

/** Elements stored in the typed (non-raw) fields of a TensorProto. */
function typedFieldElements(proto: TensorProto, dataType: DataType): TensorElements {
  switch (dataType) {
    case "float32":
      return Float32Array.from(proto.floatData);
    case "float64":
      return Float64Array.from(proto.doubleData);
    case "int64":
      return BigInt64Array.from(proto.int64Data);
    case "uint64":
      return BigUint64Array.from(proto.uint64Data);
    case "uint32":
      return Uint32Array.from(proto.uint64Data, (value) => Number(value));
    case "string":
      return proto.stringData.map((bytes) => utf8Decoder.decode(bytes));
    default: {
      // int32_data carries every narrower type, float16/bfloat16 as their 16-bit patterns.
      const elements = allocateElements(dataType, proto.int32Data.length);
      (elements as Int32Array).set(proto.int32Data);
      return elements;
    }
  }
}

/** Convert a decoded TensorProto message. Raw bytes are viewed, not copied, when aligned. */
export function tensorFromProto(proto: TensorProto): TensorConstant {
  const dataType = dataTypeFromOnnx(proto.dataType, `tensor '${proto.name}'`);
  const dims = proto.dims.map((dim) => exactNumber(dim, `a dim of tensor '${proto.name}'`));
  const tensor: TensorConstant = { name: proto.name, dataType, dims };
  if (proto.segment !== undefined) {
    throw new TensorBackendError("INVALID_MODEL", `tensor '${proto.name}' is a segment of a larger tensor`, {
      hint: "Segmented tensors are not supported; re-save the model without segments.",
    });
  }
  if (proto.dataLocation === TensorProto_DataLocation.EXTERNAL) {
    tensor.external = externalFrom(proto, dataType, dims);
    return tensor;
  }
  const expected = elementCount(dims);
  let data: TensorElements;
  if (proto.rawData.byteLength > 0 && dataType !== "string") {
    data = elementsFromBytes(dataType, proto.rawData);
  } else {
    data = typedFieldElements(proto, dataType);
  }
  if (data.length !== expected) throw invalidData(proto.name, dataType, data.length, expected);
  tensor.data = data;
  return tensor;
}

/** Build the TensorProto message of a {@link TensorConstant}. Loaded data is always written inline. */
export function tensorToProto(tensor: TensorConstant): TensorProto {
  const proto = create(TensorProtoSchema, {
    name: tensor.name,
    dataType: ONNX_DATA_TYPE[tensor.dataType],
    dims: tensor.dims.map((dim) => BigInt(dim)),
  });
  const data = tensor.data;
  if (data === undefined) {
    if (tensor.external === undefined) {
      throw new TensorBackendError(
        "INVALID_ARGUMENT",
        `tensor '${tensor.name}' has neither data nor external`,
        {
          hint: "Give the tensor `data`, or an `external` reference to where its bytes live.",
        },
      );
    }
    const { location, offset, length } = tensor.external;
    proto.dataLocation = TensorProto_DataLocation.EXTERNAL;
    proto.externalData = [
      { key: "location", value: location },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(length) },
    ].map((entry) => create(StringStringEntryProtoSchema, entry));
    return proto;
  }
  if (Array.isArray(data)) {
    proto.stringData = data.map((text) => utf8Encoder.encode(text));
  } else {
    proto.rawData = bytesOfElements(data) as Uint8Array<ArrayBuffer>;
  }
  return proto;
}

/** Decode a serialized TensorProto (e.g. the `input_0.pb` files of the ONNX test data). */
export function decodeTensor(bytes: Uint8Array): TensorConstant {
  let proto: TensorProto;
  try {
    proto = fromBinary(TensorProtoSchema, bytes);
  } catch (error) {
    throw new TensorBackendError(
      "INVALID_MODEL",
      `bytes are not a TensorProto: ${(error as Error).message}`,
      {
        hint: "Check that the file is a serialized onnx.TensorProto and is not truncated.",
        cause: error,
      },
    );
  }
  return tensorFromProto(proto);
}

/** Encode a {@link TensorConstant} as a serialized TensorProto. */
export function encodeTensor(tensor: TensorConstant): Uint8Array {
  return toBinary(TensorProtoSchema, tensorToProto(tensor));
}
