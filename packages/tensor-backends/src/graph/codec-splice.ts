/**
 * Fast encoding of large initializers. Protobuf lets a message field appear twice, the parser merging the
 * two (repeated fields concatenate), so a ModelProto can be written as "the model without its initializers"
 * followed by a second `graph` field holding only the initializers. Each tensor's raw bytes are then copied
 * once into the output, instead of through the generic writer's growing buffer and nested length shifts
 * (about 6× faster on a 384 MB model).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { TensorProtoSchema } from "onnx-buf";
import { tensorToProto } from "./codec-tensor.ts";
import { bytesOfElements, ONNX_DATA_TYPE } from "./dtypes.ts";
import type { TensorConstant } from "./types.ts";

/** Wire tags: (field number << 3) | 2 (length-delimited). */
const MODEL_GRAPH_TAG = (7 << 3) | 2;
const GRAPH_INITIALIZER_TAG = (5 << 3) | 2;
const TENSOR_RAW_DATA_TAG = (9 << 3) | 2;

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 128; rest = Math.floor(rest / 128)) size++;
  return size;
}

function writeVarint(target: Uint8Array, offset: number, value: number): number {
  let rest = value;
  let position = offset;
  while (rest >= 128) {
    target[position++] = (rest % 128) | 128;
    rest = Math.floor(rest / 128);
  }
  target[position++] = rest;
  return position;
}

interface EncodedTensor {
  /** The TensorProto without raw_data. */
  header: Uint8Array;
  /** Raw bytes to append as raw_data (absent for string or external tensors). */
  raw?: Uint8Array;
  /** Size of the whole TensorProto. */
  size: number;
}

function encodeParts(tensor: TensorConstant): EncodedTensor {
  const data = tensor.data;
  if (data === undefined || Array.isArray(data)) {
    const header = toBinary(TensorProtoSchema, tensorToProto(tensor));
    return { header, size: header.byteLength };
  }
  const proto = create(TensorProtoSchema, {
    name: tensor.name,
    dataType: ONNX_DATA_TYPE[tensor.dataType],
    dims: tensor.dims.map((dim) => BigInt(dim)),
  });
  const header = toBinary(TensorProtoSchema, proto);
  const raw = bytesOfElements(data);
  return { header, raw, size: header.byteLength + 1 + varintSize(raw.byteLength) + raw.byteLength };
}

/** `modelBytes` (a ModelProto whose graph has no initializers) followed by a graph field holding `initializers`. */
export function appendInitializers(
  modelBytes: Uint8Array,
  initializers: readonly TensorConstant[],
): Uint8Array {
  if (initializers.length === 0) return modelBytes;
  const parts = initializers.map(encodeParts);
  const graphSize = parts.reduce((total, part) => total + 1 + varintSize(part.size) + part.size, 0);
  const output = new Uint8Array(modelBytes.byteLength + 1 + varintSize(graphSize) + graphSize);
  output.set(modelBytes, 0);
  let offset = modelBytes.byteLength;
  output[offset++] = MODEL_GRAPH_TAG;
  offset = writeVarint(output, offset, graphSize);
  for (const part of parts) {
    output[offset++] = GRAPH_INITIALIZER_TAG;
    offset = writeVarint(output, offset, part.size);
    output.set(part.header, offset);
    offset += part.header.byteLength;
    if (part.raw !== undefined) {
      output[offset++] = TENSOR_RAW_DATA_TAG;
      offset = writeVarint(output, offset, part.raw.byteLength);
      output.set(part.raw, offset);
      offset += part.raw.byteLength;
    }
  }
  return output;
}
