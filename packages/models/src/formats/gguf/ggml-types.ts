/**
 * GGML tensor type ids as ggml.h numbers them (`enum ggml_type`). The gaps (4, 5, 31-33, 36-38) are
 * types ggml has removed; their ids are never reused. Only the ids are here: block layouts of the
 * types tokenscope reads are in `quantization.ts`.
 */
export const ggmlTypeIds = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q8_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  IQ2_XXS: 16,
  IQ2_XS: 17,
  IQ3_XXS: 18,
  IQ1_S: 19,
  IQ4_NL: 20,
  IQ3_S: 21,
  IQ2_S: 22,
  IQ4_XS: 23,
  I8: 24,
  I16: 25,
  I32: 26,
  I64: 27,
  F64: 28,
  IQ1_M: 29,
  BF16: 30,
  TQ1_0: 34,
  TQ2_0: 35,
  MXFP4: 39,
  NVFP4: 40,
  Q1_0: 41,
  Q2_0: 42,
} as const;

/** A GGML tensor type name ("F32", "Q4_K", ...). */
export type GgmlTypeName = keyof typeof ggmlTypeIds;

const namesById = new Map<number, GgmlTypeName>(
  (Object.entries(ggmlTypeIds) as Array<[GgmlTypeName, number]>).map(([name, id]) => [id, name]),
);

/** The name of a GGML type id ("Q4_K" for 12), for messages; undefined for an id ggml does not define. */
export function ggmlTypeIdName(id: number): GgmlTypeName | undefined {
  return namesById.get(id);
}
