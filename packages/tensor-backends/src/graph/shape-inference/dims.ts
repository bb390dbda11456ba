/**
 * Arithmetic on possibly symbolic dimensions. A {@link Dim} is a size, a symbol ("batch") or unknown
 * (null); results stay symbolic where the answer is certain and fall back to null otherwise.
 */
import type { Dim } from "../types.ts";

/**
 * Broadcast two dimensions (numpy rules). A known 1 yields the other; a number other than 1 wins over
 * anything (the other side is 1 or equal to it). A symbol against an unknown stays unknown: the symbol
 * may be 1 at run time (batch 1), and then the unknown side sets the size.
 */
export function broadcastDim(a: Dim, b: Dim): Dim {
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === b) return a;
  if (typeof a === "number") return a;
  if (typeof b === "number") return b;
  return null;
}

/** Broadcast shapes right-aligned; undefined when any rank is unknown. */
export function broadcastShapes(shapes: readonly (readonly Dim[] | undefined)[]): Dim[] | undefined {
  if (shapes.some((shape) => shape === undefined)) return undefined;
  const known = shapes as readonly (readonly Dim[])[];
  const rank = Math.max(0, ...known.map((shape) => shape.length));
  const result: Dim[] = new Array<Dim>(rank).fill(1);
  for (const shape of known) {
    const offset = rank - shape.length;
    shape.forEach((dim, index) => {
      result[offset + index] = broadcastDim(result[offset + index]!, dim);
    });
  }
  return result;
}

/** A negative axis counted from the end; undefined when out of range. */
export function normalizeAxis(axis: number, rank: number): number | undefined {
  const normalized = axis < 0 ? axis + rank : axis;
  return normalized >= 0 && normalized < rank ? normalized : undefined;
}

interface Factors {
  coefficient: number;
  symbols: string[];
}

function factor(dims: readonly Dim[]): Factors | undefined {
  let coefficient = 1;
  const symbols: string[] = [];
  for (const dim of dims) {
    if (dim === null) return undefined;
    if (typeof dim === "number") coefficient *= dim;
    else {
      // A product symbol ("2*seq", from fromFactors) splits back into its factors.
      for (const part of dim.split("*")) {
        if (/^\d+$/.test(part)) coefficient *= Number(part);
        else symbols.push(part);
      }
    }
  }
  return { coefficient, symbols };
}

/**
 * A product as a Dim: a number, a symbol, or a product symbol ("2*seq", "batch*seq": the coefficient,
 * then the symbols sorted), so that a Reshape merging axes and the one splitting them again keep
 * their symbolic sizes (grouped-query attention folds the group into the sequence axis and back).
 */
function fromFactors(coefficient: number, symbols: readonly string[]): Dim {
  if (symbols.length === 0) return coefficient;
  if (coefficient === 0) return 0;
  const sorted = [...symbols].sort();
  return [...(coefficient === 1 ? [] : [String(coefficient)]), ...sorted].join("*");
}

/** Product of dims: a number or a (product) symbol; null when a dim is unknown. */
export function productOfDims(dims: readonly Dim[]): Dim {
  const factors = factor(dims);
  return factors === undefined ? null : fromFactors(factors.coefficient, factors.symbols);
}

/** `numerator / denominator` as products of dims, when the denominator's factors divide the numerator's. */
export function divideDims(numerator: readonly Dim[], denominator: readonly Dim[]): Dim {
  const top = factor(numerator);
  const bottom = factor(denominator);
  if (top === undefined || bottom === undefined || bottom.coefficient === 0) return null;
  const remaining = [...top.symbols];
  for (const symbol of bottom.symbols) {
    const index = remaining.indexOf(symbol);
    if (index < 0) return null;
    remaining.splice(index, 1);
  }
  const coefficient = top.coefficient / bottom.coefficient;
  if (!Number.isInteger(coefficient)) return null;
  return fromFactors(coefficient, remaining);
}

/** Sum of dims (Concat): numbers add, zeros vanish, anything else symbolic is unknown. */
export function sumOfDims(dims: readonly Dim[]): Dim {
  let total = 0;
  let symbolic: Dim | undefined;
  for (const dim of dims) {
    if (typeof dim === "number") total += dim;
    else if (symbolic === undefined) symbolic = dim;
    else return null;
  }
  if (symbolic === undefined) return total;
  return total === 0 ? symbolic : null;
}

/** The output shape of Reshape: `0` copies the input dim (unless allowzero), one `-1` is solved for. */
export function reshapeDims(
  input: readonly Dim[] | undefined,
  target: readonly Dim[],
  allowZero: boolean,
): Dim[] {
  const output = target.map((dim, index): Dim => {
    if (dim === 0 && !allowZero) return input?.[index] ?? null;
    return dim;
  });
  const inferIndex = output.indexOf(-1);
  if (inferIndex < 0) return output;
  const others = output.filter((_, index) => index !== inferIndex);
  output[inferIndex] = input === undefined ? null : divideDims(input, others);
  return output;
}

/**
 * Length of `start:end:step` over a dim, for Slice; symbolic dims are kept only where certain, and
 * where exporters rely on them (the usual last-token slice, tables sliced to the sequence length).
 */
export function sliceDim(dim: Dim, start: Dim, end: Dim, step: number): Dim {
  if (typeof start !== "number" || typeof end !== "number") {
    // table[0:seq]: assumes the table covers the sequence (the model fails at run time otherwise).
    if (start === 0 && step === 1 && typeof end === "string") return end;
    return null;
  }
  if (typeof dim === "number") {
    const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);
    const resolve = (value: number) => (value < 0 ? value + dim : value);
    const first = step > 0 ? clamp(resolve(start), 0, dim) : clamp(resolve(start), -1, dim - 1);
    const last = step > 0 ? clamp(resolve(end), 0, dim) : clamp(resolve(end), -1, dim - 1);
    return Math.max(0, Math.ceil((last - first) / step));
  }
  const huge = 2 ** 31 - 1;
  if (step === 1 && start === 0 && end >= huge) return dim;
  // x[-k:] keeps the last k positions: assumes the dim holds at least k (true for the usual last-token slice).
  if (step === 1 && start < 0 && end >= huge) return -start;
  return null;
}
