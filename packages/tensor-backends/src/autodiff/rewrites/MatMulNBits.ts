/**
 * MatMulNBits: Y = A · dequant(B)ᵀ (+ bias), with B [N, blocks, blob] holding `bits`-bit codes packed
 * low bits first, per-block scales [N·blocks], and optional uint8 zero points packed the same way
 * (default 2^(bits−1)). Constant weights are dequantized here, once, into a float [K, N] initializer:
 * gradients flow to A only (weights never get any), so a plain MatMul is exact. Declines when the
 * weights are not constant, when g_idx or float zero points are used, or for bit widths that do not divide 8.
 */
import { ONNX_DATA_TYPE } from "../../graph/dtypes.ts";
import type { TensorConstant } from "../../graph/types.ts";
import type { ContribRewrite } from "./types.ts";

/** A float16 bit pattern as a number. */
function halfToNumber(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function floats(tensor: TensorConstant): number[] | undefined {
  const data = tensor.data;
  if (data === undefined || Array.isArray(data)) return undefined;
  if (tensor.dataType === "float32" || tensor.dataType === "float64") return Array.from(data as Float32Array);
  if (tensor.dataType === "float16") return Array.from(data as Uint16Array, halfToNumber);
  return undefined;
}

/** Unpack the `index`-th `bits`-bit code of a byte row (low bits first). */
function code(bytes: Uint8Array, offset: number, index: number, bits: number): number {
  const perByte = 8 / bits;
  const byte = bytes[offset + Math.floor(index / perByte)]!;
  return (byte >> (bits * (index % perByte))) & ((1 << bits) - 1);
}

/** Dequantized weights laid out [K, N] for `A · W`. */
export function dequantizeNBits(
  quantized: Uint8Array,
  scales: number[],
  zeroPoints: Uint8Array | undefined,
  shape: { k: number; n: number; bits: number; blockSize: number },
): Float32Array {
  const { k, n, bits, blockSize } = shape;
  const blocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const zeroStride = Math.ceil((blocks * bits) / 8);
  const weights = new Float32Array(k * n);
  for (let row = 0; row < n; row++) {
    for (let block = 0; block < blocks; block++) {
      const scale = scales[row * blocks + block]!;
      const zero =
        zeroPoints === undefined ? 2 ** (bits - 1) : code(zeroPoints, row * zeroStride, block, bits);
      const offset = (row * blocks + block) * blob;
      for (let inner = 0; inner < blockSize; inner++) {
        const column = block * blockSize + inner;
        if (column >= k) break;
        weights[column * n + row] = (code(quantized, offset, inner, bits) - zero) * scale;
      }
    }
  }
  return weights;
}

/** Rewrite of com.microsoft.MatMulNBits. */
export const matMulNBitsRewrite: ContribRewrite = {
  opType: "MatMulNBits",
  domains: ["com.microsoft"],
  rewrite(ctx) {
    const [a, b, scalesName, zeroName = "", gIdx = "", bias = ""] = ctx.node.inputs as string[];
    const bits = ctx.attr.int("bits", 4);
    if (gIdx !== "" || ![2, 4, 8].includes(bits)) return false;
    const quantized = ctx.initializer(b!);
    const scaleTensor = ctx.initializer(scalesName!);
    const zeroTensor = zeroName === "" ? undefined : ctx.initializer(zeroName);
    if (!(quantized?.data instanceof Uint8Array) || scaleTensor === undefined) return false;
    if (zeroName !== "" && !(zeroTensor?.dataType === "uint8" && zeroTensor.data instanceof Uint8Array))
      return false;
    const scales = floats(scaleTensor);
    if (scales === undefined) return false;
    const k = ctx.attr.int("K", 0);
    const n = ctx.attr.int("N", 0);
    const weights = dequantizeNBits(quantized.data, scales, zeroTensor?.data as Uint8Array | undefined, {
      k,
      n,
      bits,
      blockSize: ctx.attr.int("block_size", 32),
    });
    const output = ctx.node.outputs[0]!;
    let w = ctx.addInitializer("dequantized", { dataType: "float32", dims: [k, n], data: weights });
    const inputType = ctx.dataTypeOf(a!);
    if (inputType !== "float32") w = ctx.op("Cast", [w], { to: ONNX_DATA_TYPE[inputType] });
    if (bias === "") ctx.op("MatMul", [a!, w], {}, output);
    else ctx.op("Add", [ctx.op("MatMul", [a!, w]), bias], {}, output);
    return true;
  },
};
