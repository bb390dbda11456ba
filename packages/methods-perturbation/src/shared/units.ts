import {
  defaultWordMarkers,
  rangeGroups,
  sentenceGroups,
  type Token,
  TokenscopeError,
  wordGroups,
} from "@tokenscope/core";
import { textOfTokens } from "./token-text.ts";

/** What is perturbed together. */
export type UnitKind = "token" | "word" | "sentence" | "span" | "group";

/** How to split one side (source or target) of a sequence into units. */
export interface UnitOptions {
  kind: UnitKind;
  /** For "span": half-open [start, end) token index ranges per side. */
  spans?: { source: [number, number][]; target: [number, number][] };
  /** For "group": token index lists per side. */
  groups?: { source: number[][]; target: number[][] };
  /** Who asks, for error messages ("Method \"occlusion\""). */
  owner: string;
}

function invalid(owner: string, message: string, hint: string, details: Record<string, unknown>): never {
  throw new TokenscopeError("INVALID_INPUT", `${owner}: ${message}`, { hint, details });
}

function checkedRanges(ranges: [number, number][], length: number, side: string, owner: string) {
  const hint = `Give half-open, non-overlapping [start, end) token index ranges with start < end <= ${length}.`;
  for (const range of ranges) {
    if (range[0] >= range[1] || range[1] > length) {
      invalid(
        owner,
        `${side} span [${range[0]}, ${range[1]}) is empty or beyond the ${length} tokens.`,
        hint,
        {
          side,
          range,
          length,
        },
      );
    }
  }
  return rangeGroups(ranges, length, side);
}

function checkedGroups(groups: number[][], length: number, side: string, owner: string): number[][] {
  const seen = new Set<number>();
  for (const group of groups) {
    for (const index of group) {
      if (index >= length) {
        invalid(
          owner,
          `${side} group member ${index} is beyond the ${length} tokens.`,
          "Use token indices.",
          {
            side,
            index,
            length,
          },
        );
      }
      if (seen.has(index)) {
        invalid(owner, `${side} token ${index} is in two groups.`, "Make the groups disjoint.", {
          side,
          index,
        });
      }
      seen.add(index);
    }
  }
  const partition = groups.map((group) => [...group].sort((a, b) => a - b));
  for (let index = 0; index < length; index++) if (!seen.has(index)) partition.push([index]);
  return partition.sort((a, b) => a[0]! - b[0]!);
}

/**
 * Splits the tokens of one side into units (lists of token indices that
 * partition the side): single tokens, words and sentences read from the
 * tokens' character spans (core's `wordGroups` / `sentenceGroups`), user spans
 * or user groups. Bad spans or groups are `INVALID_INPUT` naming the owner.
 */
export function unitGroups(tokens: Token[], side: "source" | "target", options: UnitOptions): number[][] {
  switch (options.kind) {
    case "token":
      return tokens.map((_, index) => [index]);
    case "word":
      return wordGroups(tokens, textOfTokens(tokens), { strategy: "spans", markers: defaultWordMarkers });
    case "sentence":
      return sentenceGroups(tokens, textOfTokens(tokens));
    case "span":
      return checkedRanges(options.spans?.[side] ?? [], tokens.length, side, options.owner);
    case "group":
      return checkedGroups(options.groups?.[side] ?? [], tokens.length, side, options.owner);
  }
}
