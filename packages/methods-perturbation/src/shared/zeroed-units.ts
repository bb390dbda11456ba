import { resolveSelection, type Selection, selectionSchema, TokenscopeError } from "@tokenscope/core";
import { z } from "zod";

/**
 * Which heads of which layers one attention has its values zeroed in, per layer index (negative
 * from the end) — Inseq's `*_zeroed_units_indices` dictionaries. `{}` zeroes nothing.
 */
export const zeroedUnitsSchema = z.record(z.string().regex(/^-?\d+$/, "a layer index"), selectionSchema);

/** A resolved selection: layer → the heads zeroed in it, layers ascending. */
export type ZeroedUnits = Array<{ layer: number; heads: number[] }>;

/**
 * The zeroed units of one attention: `units` when given (layer → heads), else every layer of
 * `fallback.layers` with the heads of `fallback.heads`.
 */
export function resolveZeroedUnits(
  units: Record<string, Selection> | undefined,
  fallback: { layers: Selection; heads: Selection },
  depth: { layers: number; heads: number },
  owner: string,
  parameter: string,
): ZeroedUnits {
  if (units === undefined) {
    const heads = resolveSelection(fallback.heads, depth.heads, "head", owner);
    return resolveSelection(fallback.layers, depth.layers, "layer", owner).map((layer) => ({ layer, heads }));
  }
  const resolved = new Map<number, number[]>();
  for (const [key, heads] of Object.entries(units)) {
    const index = Number(key);
    const layer = index < 0 ? depth.layers + index : index;
    if (layer < 0 || layer >= depth.layers) {
      throw new TokenscopeError(
        "INVALID_PARAMETERS",
        `${owner}: ${parameter} names layer ${key}, but that part of the model has ${depth.layers} layers.`,
        {
          hint: `Key ${parameter} by layer indices from 0 to ${depth.layers - 1} (negative count from the end).`,
        },
      );
    }
    resolved.set(layer, resolveSelection(heads, depth.heads, "head", owner));
  }
  return [...resolved.entries()].sort(([a], [b]) => a - b).map(([layer, heads]) => ({ layer, heads }));
}
