import { z } from "zod";
import { TokenscopeError } from "../errors/index.ts";
import type { Token } from "../model/token.ts";
import { stepFunctionRegistry } from "../registry/registries.ts";
import { assertSequenceShape } from "../result/sequence-shape.ts";
import type { AttributionMatrix, RawAttributions, SequenceAttribution } from "../result/types.ts";

/** How the scores of the cells merged into one unit cell are combined. */
export type ScoreReduction = "sum" | "mean" | "absmax" | "max";
/** How the step scores of the target tokens merged into one unit are combined. */
export type StepScoreReduction = "sum" | "prod" | "mean" | "absmax" | "first" | "last";

/** The parameters every "units" aggregator shares (spread them into its schema). */
export const unitReductionParameters = {
  reduce: z
    .enum(["sum", "mean", "absmax", "max"])
    .default("absmax")
    .describe(
      "How the scores of merged cells combine: absmax (default, as Inseq: the signed value of largest magnitude), sum (a word's attribution mass is the sum of its pieces'), mean or max.",
    ),
  stepScores: z
    .enum(["auto", "sum", "prod", "mean", "absmax", "first", "last"])
    .default("auto")
    .describe(
      'How step scores of merged target tokens combine: "auto" (default, as Inseq) uses each step function\'s own rule (`merge`: prod for probabilities, sum for nats and bits, absmax otherwise and for unknown ids); or one rule for all.',
    ),
};

/** Text every "units" aggregator adds to its description. */
export const unitMergingDescription =
  "Columns (source and target-prefix tokens) and rows (target tokens) are merged consistently. A merged cell combines the non-null cells of its block with `reduce` (default absmax, as Inseq: the signed score of largest magnitude; sum gives a word the attribution mass of its pieces); an all-null block stays null. Nothing is renormalised after merging (as Inseq). Target-prefix cells between two pieces of the same unit are dropped, since a unit cannot be attributed to itself. Raw per-dimension tensors, when present, are summed over the members per dimension. Step scores of merged targets are combined with `stepScores` (default \"auto\": the step function's own `merge` rule, as Inseq's aggregate map: the probability of a word is the product of its pieces' probabilities, its cross-entropy their sum). Each unit token has `members` (indices into the original, never-merged token list, so merges compose), a span covering its members' spans, the text slice under that span, id null when it has several members, and `special` only when all its members are special. Extras are kept as they are.";

/** A partition of a token list into contiguous units, each listing its token indices in order. */
export type UnitGroups = number[][];

function assertPartition(groups: UnitGroups, length: number, side: string, owner: string): void {
  let next = 0;
  for (const group of groups) {
    for (const index of group) {
      if (index !== next) {
        throw new TokenscopeError(
          "INVALID_INPUT",
          `${owner}: ${side} units do not cover tokens 0..${length - 1} in order.`,
          {
            hint: "Units must be contiguous, non-empty and together cover every token once.",
            details: { side, groups },
          },
        );
      }
      next++;
    }
    if (group.length === 0) {
      throw new TokenscopeError("INVALID_INPUT", `${owner}: an empty ${side} unit.`, {
        hint: "Units must be contiguous, non-empty and together cover every token once.",
        details: { side, groups },
      });
    }
  }
  if (next !== length) {
    throw new TokenscopeError("INVALID_INPUT", `${owner}: ${side} units cover ${next} of ${length} tokens.`, {
      hint: "Units must be contiguous, non-empty and together cover every token once.",
      details: { side, groups },
    });
  }
}

/** Merges a token list into units (see {@link unitMergingDescription} for the fields). */
export function mergeTokens(tokens: Token[], groups: UnitGroups, text: string): Token[] {
  return groups.map((group) => {
    const members = group.flatMap((index) => tokens[index]!.members ?? [index]);
    if (group.length === 1) return { ...tokens[group[0]!]!, members };
    const pieces = group.map((index) => tokens[index]!);
    const spans = pieces.flatMap((token) => (token.span ? [token.span] : []));
    const span: [number, number] | null = spans.length
      ? [Math.min(...spans.map((s) => s[0])), Math.max(...spans.map((s) => s[1]))]
      : null;
    // As Inseq joins a merged unit's tokens: the pieces side by side.
    const piece = pieces.every((token) => token.piece !== undefined)
      ? pieces.map((token) => token.piece).join("")
      : undefined;
    return {
      id: null,
      text: span ? text.slice(span[0], span[1]) : pieces.map((token) => token.text).join(""),
      span,
      special: pieces.every((token) => token.special),
      ...(piece !== undefined ? { piece } : {}),
      members,
    };
  });
}

/** Combines a block's non-null scores; null when there are none. */
export function reduceScores(values: number[], reduce: ScoreReduction): number | null {
  if (values.length === 0) return null;
  let total = 0;
  let best = values[0]!;
  for (const value of values) {
    total += value;
    if (reduce === "max" ? value > best : Math.abs(value) > Math.abs(best)) best = value;
  }
  if (reduce === "sum") return total;
  if (reduce === "mean") return total / values.length;
  return best;
}

function reduceStepScores(values: (number | null)[], reduce: StepScoreReduction): number | null {
  const present = values.filter((value): value is number => value !== null);
  if (present.length === 0) return null;
  if (reduce === "first") return present[0]!;
  if (reduce === "last") return present[present.length - 1]!;
  if (reduce === "absmax") return reduceScores(present, "absmax");
  if (reduce === "prod") return present.reduce((a, b) => a * b, 1);
  const total = present.reduce((a, b) => a + b, 0);
  return reduce === "sum" ? total : total / present.length;
}

/**
 * The rule for one step score under "auto": the registered step function's `merge`, absmax for ids
 * that name none (Inseq's fallback), e.g. the `deltas` of integrated gradients.
 */
function stepScoreRule(id: string, choice: StepScoreChoice): StepScoreReduction {
  if (choice !== "auto") return choice;
  return stepFunctionRegistry.has(id) ? (stepFunctionRegistry.get(id).merge ?? "absmax") : "absmax";
}

/** Merges a score matrix; with `causal`, only blocks of earlier column units are kept. */
function mergeMatrix(
  matrix: AttributionMatrix,
  rowGroups: UnitGroups,
  columnGroups: UnitGroups,
  reduce: ScoreReduction,
  causal: boolean,
): AttributionMatrix {
  return rowGroups.map((rows, a) =>
    columnGroups.map((columns, b) => {
      if (causal && b >= a) return null;
      const values: number[] = [];
      for (const row of rows) {
        for (const column of columns) {
          const value = matrix[row]![column];
          if (value !== null && value !== undefined) values.push(value);
        }
      }
      return reduceScores(values, reduce);
    }),
  );
}

/** Sums raw vectors over each block per dimension, NaN cells skipped; an all-NaN block stays NaN. */
function mergeRaw(
  raw: RawAttributions,
  rowGroups: UnitGroups,
  columnGroups: UnitGroups,
  causal: boolean,
): RawAttributions {
  const [, columns, dims] = raw.dims;
  const size = rowGroups.length * columnGroups.length * dims;
  const data = raw.data instanceof Float32Array ? new Float32Array(size) : new Float64Array(size);
  data.fill(Number.NaN);
  rowGroups.forEach((rows, a) => {
    columnGroups.forEach((cols, b) => {
      if (causal && b >= a) return;
      const out = (a * columnGroups.length + b) * dims;
      for (const row of rows) {
        for (const column of cols) {
          const offset = (row * columns + column) * dims;
          let empty = false;
          for (let d = 0; d < dims; d++) if (Number.isNaN(raw.data[offset + d]!)) empty = true;
          if (empty) continue;
          for (let d = 0; d < dims; d++) {
            const current = data[out + d]!;
            data[out + d] = (Number.isNaN(current) ? 0 : current) + raw.data[offset + d]!;
          }
        }
      }
    });
  });
  return { dims: [rowGroups.length, columnGroups.length, dims], data };
}

/** A step-score rule for every score, or "auto": each step function's own. */
export type StepScoreChoice = StepScoreReduction | "auto";

/** How {@link mergeUnits} combines what it merges. */
export interface UnitReductions {
  reduce: ScoreReduction;
  stepScores: StepScoreChoice;
}

/**
 * Merges a sequence's source tokens into `sourceGroups` and its target tokens
 * into `targetGroups` (rows and target-prefix columns alike), with scores,
 * raw tensors and step scores. Returns a new sequence; the input is unchanged.
 */
export function mergeUnits(
  sequence: SequenceAttribution,
  sourceGroups: UnitGroups,
  targetGroups: UnitGroups,
  reductions: UnitReductions,
  owner: string,
): SequenceAttribution {
  assertSequenceShape(sequence, owner);
  assertPartition(sourceGroups, sequence.source.length, "source", owner);
  assertPartition(targetGroups, sequence.target.length, "target", owner);
  const { reduce } = reductions;
  const merged: SequenceAttribution = {
    ...sequence,
    source: mergeTokens(sequence.source, sourceGroups, sequence.sourceText),
    target: mergeTokens(sequence.target, targetGroups, sequence.targetText),
    sourceAttributions: mergeMatrix(sequence.sourceAttributions, targetGroups, sourceGroups, reduce, false),
    targetAttributions: sequence.targetAttributions
      ? mergeMatrix(sequence.targetAttributions, targetGroups, targetGroups, reduce, true)
      : null,
    stepScores: Object.fromEntries(
      Object.entries(sequence.stepScores).map(([id, scores]) => [
        id,
        targetGroups.map((group) =>
          reduceStepScores(
            group.map((t) => scores[t] ?? null),
            stepScoreRule(id, reductions.stepScores),
          ),
        ),
      ]),
    ),
  };
  if (sequence.contrast) {
    // Contrast tokens stay as they are; a merged target unit faces what its first token faced.
    const { alignment } = sequence.contrast;
    merged.contrast = { ...sequence.contrast, alignment: targetGroups.map((group) => alignment[group[0]!]!) };
  }
  if (sequence.rawSourceAttributions) {
    merged.rawSourceAttributions = mergeRaw(
      sequence.rawSourceAttributions,
      targetGroups,
      sourceGroups,
      false,
    );
  }
  if (sequence.rawTargetAttributions) {
    merged.rawTargetAttributions = mergeRaw(sequence.rawTargetAttributions, targetGroups, targetGroups, true);
  }
  return merged;
}
