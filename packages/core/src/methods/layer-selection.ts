import { z } from "zod";
import { TokenscopeError } from "../errors/index.ts";

/**
 * A layer or head selection as users write it: "all", one index, a list of
 * indices, or a half-open range "a:b" (either end may be left out; negative
 * indices count from the end, as in Python and Inseq).
 */
export const selectionSchema = z
  .union([z.literal("all"), z.number().int(), z.array(z.number().int()), z.string()])
  .default("all");

/** A selection before it is resolved against a layer or head count. */
export type Selection = z.output<typeof selectionSchema>;

function invalid(owner: string, what: string, selection: unknown, problem: string): TokenscopeError {
  return new TokenscopeError(
    "INVALID_PARAMETERS",
    `${owner}: ${what} selection ${JSON.stringify(selection)} ${problem}.`,
    {
      hint: `Give "all", an index, a list of indices, a comma-separated list ("0,2,5") or a range "a:b" (half-open; negative indices count from the end).`,
      details: { owner, what, selection },
    },
  );
}

function absolute(index: number, count: number): number {
  return index < 0 ? count + index : index;
}

function parseIndex(text: string, owner: string, what: string, selection: unknown): number {
  if (!/^-?\d+$/.test(text.trim()))
    throw invalid(owner, what, selection, `has "${text}", which is not an index`);
  return Number(text.trim());
}

function rangeOf(text: string, count: number, owner: string, what: string): number[] {
  const [startText, endText, extra] = text.split(":");
  if (extra !== undefined) throw invalid(owner, what, text, "has more than one colon");
  const start = startText!.trim() === "" ? 0 : absolute(parseIndex(startText!, owner, what, text), count);
  const end = endText!.trim() === "" ? count : absolute(parseIndex(endText!, owner, what, text), count);
  if (start < 0 || end > count || start >= end) {
    throw invalid(owner, what, text, `is not a non-empty range within the ${count} ${what}s`);
  }
  return Array.from({ length: end - start }, (_, offset) => start + offset);
}

/**
 * The sorted, distinct indices a selection names among `count` layers or
 * heads. Throws INVALID_PARAMETERS for an index out of range, an empty or
 * reversed range, or text that is not a selection. An empty list stays empty.
 */
export function resolveSelection(selection: Selection, count: number, what: string, owner: string): number[] {
  let indices: number[];
  if (selection === "all") indices = Array.from({ length: count }, (_, index) => index);
  else if (typeof selection === "number") indices = [selection];
  else if (Array.isArray(selection)) indices = selection;
  else if (selection.includes(":")) return rangeOf(selection, count, owner, what);
  else if (selection.trim() === "") throw invalid(owner, what, selection, "is empty");
  else indices = selection.split(",").map((part) => parseIndex(part, owner, what, selection));
  const resolved = indices.map((index) => absolute(index, count));
  const outside = resolved.findIndex((index) => index < 0 || index >= count);
  if (outside >= 0) {
    throw invalid(
      owner,
      what,
      selection,
      `names ${what} ${indices[outside]}, but the model has ${count} ${what}s`,
    );
  }
  return [...new Set(resolved)].sort((a, b) => a - b);
}
