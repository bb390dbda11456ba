/**
 * Shape rules for the ONNX Runtime contrib operators that exported language models carry
 * (com.microsoft): quantized matrix products and gathers, and grouped-query attention. Their element
 * types matter most: the rewrites and the autodiff read the float type of everything downstream.
 */
import type { Dim } from "../types.ts";
import { type ShapeRule, tensorValue } from "./context.ts";
import { divideDims, normalizeAxis } from "./dims.ts";

/** MatMulNBits: A [..., K] times dequantized B [K, N] (attribute N): [..., N] in A's type. */
export const matMulNBits: ShapeRule = (context) => {
  const dataType = context.dataType(0);
  if (dataType === undefined) return [undefined];
  const shape = context.shape(0);
  const n = context.int("N", 0);
  if (shape === undefined || shape.length === 0 || n <= 0) return [tensorValue(dataType, undefined)];
  return [tensorValue(dataType, [...shape.slice(0, -1), n])];
};

/**
 * GatherBlockQuantized(data, indices, scales, ...): a Gather of dequantized rows in the scales' type.
 * The packed data's last dim is not the row width, so only the rank is certain.
 */
export const gatherBlockQuantized: ShapeRule = (context) => {
  const dataType = context.dataType(2);
  if (dataType === undefined) return [undefined];
  const data = context.shape(0);
  const indices = context.shape(1);
  if (data === undefined || indices === undefined) return [tensorValue(dataType, undefined)];
  const axis = normalizeAxis(context.int("gather_axis", 0), data.length);
  if (axis === undefined) return [tensorValue(dataType, undefined)];
  const shape: Dim[] = [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
  // The last axis of packed 4-bit data holds two values a byte: its width is not the output's.
  shape[shape.length - 1] = axis === data.length - 1 ? (shape[shape.length - 1] ?? null) : null;
  return [tensorValue(dataType, shape)];
};

/**
 * GroupQueryAttention: output [B, S, num_heads · head_size] in the query's type; present key/value
 * [B, kv_num_heads, total, head_size] (total is unknown here). With packed QKV (no key input) the
 * query's last dim is (num_heads + 2 · kv_num_heads) · head_size.
 */
export const groupQueryAttention: ShapeRule = (context) => {
  const dataType = context.dataType(0);
  if (dataType === undefined) return [undefined, undefined, undefined];
  const query = context.shape(0);
  const heads = context.int("num_heads", 0);
  const kvHeads = context.int("kv_num_heads", 0);
  if (query?.length !== 3 || heads <= 0 || kvHeads <= 0) {
    return [
      tensorValue(dataType, undefined),
      tensorValue(dataType, undefined),
      tensorValue(dataType, undefined),
    ];
  }
  const [batch, sequence, width] = query as [Dim, Dim, Dim];
  const packed = !context.hasInput(1);
  const headSize = divideDims([width], [packed ? heads + 2 * kvHeads : heads]);
  const hidden = packed ? (typeof headSize === "number" ? headSize * heads : null) : width;
  const present = tensorValue(dataType, [batch, kvHeads, null, headSize]);
  return [tensorValue(dataType, [batch, sequence, hidden]), present, present];
};
