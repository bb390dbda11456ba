import type { Token } from "../model/token.ts";
import { seededUniform } from "../random/seeded-random.ts";
import {
  type AttributionMatrix,
  type AttributionResult,
  SCHEMA_VERSION,
  type SequenceAttribution,
} from "../result/types.ts";
import { TOOL_VERSION } from "../version.ts";

/*
 * Deterministic attribution results for serialization tests. Kept here rather
 * than in core/src/testing so these tests do not depend on that module.
 */

/** Options of {@link makeTestResult}. */
export interface TestResultOptions {
  seed?: number;
  sequences?: number;
  /** Words in each prompt; the source has one more token (BOS) and merges the last two words. */
  sourceWords?: number;
  /** Words in each continuation; the target has them plus an EOS token. */
  targetWords?: number;
  /** Per-dimension size of the raw tensors; 0 leaves them out. */
  rawDims?: number;
  /** Element type of the raw tensors. */
  rawType?: "float32" | "float64";
}

/** A seeded generator of numbers in [0, 1) (mulberry32). */
export const seededRandom = seededUniform;

const vocabulary = ["the", "cat", "sat", "on", "mat", "and", "a", "dog", "ran", "home", "é", "naïve", "日本"];

/**
 * A result whose every field is populated: special tokens with null spans, a
 * merged unit with `members`, null cells (BOS column, target-prefix cells at or
 * after their step), step scores with nulls, nested extras, aggregation records
 * and, with `rawDims`, raw tensors whose empty cells are NaN. Scores span six
 * orders of magnitude, with signs, and stay below float16's largest value.
 */
export function makeTestResult(options: TestResultOptions = {}): AttributionResult {
  const random = seededRandom(options.seed ?? 1);
  const count = options.sequences ?? 1;
  return {
    schemaVersion: SCHEMA_VERSION,
    info: {
      model: { id: "test/tiny-llama", revision: "main", architecture: "llama" },
      method: { id: "integrated_gradients", parameters: { n_steps: 8, method: "riemann_trapezoid" } },
      attributedFunction: { id: "probability", parameters: {} },
      toolVersion: TOOL_VERSION,
      startedAt: "2025-01-02T03:04:05.678Z",
      durationMs: 12.5,
      extra: { runtime: "test", threads: 2, devices: ["cpu"] },
    },
    sequences: Array.from({ length: count }, () => makeSequence(random, options)),
  };
}

function makeSequence(random: () => number, options: TestResultOptions): SequenceAttribution {
  const pickWords = (length: number) =>
    Array.from({ length }, () => vocabulary[Math.floor(random() * vocabulary.length)]!);
  const sourceWords = pickWords(options.sourceWords ?? 4);
  const targetWords = pickWords(options.targetWords ?? 3);
  const sourceText = sourceWords.join(" ");
  const targetText = ` ${targetWords.join(" ")}`;
  const source: Token[] = [
    { id: 1, text: "", span: null, special: true },
    ...wordTokens(sourceText, sourceWords, 100, true),
  ];
  const target: Token[] = [
    ...wordTokens(targetText, targetWords, 200, false),
    { id: 2, text: "", span: null, special: true },
  ];
  const targets = target.length;
  const score = () => (random() * 2 - 1) * 10 ** Math.floor(random() * 6 - 3);
  const sourceAttributions: AttributionMatrix = target.map(() =>
    source.map((_, column) => (column === 0 ? null : score())),
  );
  const targetAttributions: AttributionMatrix = target.map((_, row) =>
    target.map((_, column) => (column < row ? score() : null)),
  );
  const sequence: SequenceAttribution = {
    sourceText,
    targetText,
    source,
    target,
    sourceAttributions,
    targetAttributions,
    stepScores: {
      probability: target.map(() => random()),
      entropy: target.map((_, index) => (index === 0 ? null : random() * 5)),
    },
    extras: {
      convergenceDelta: target.map(() => score()),
      note: "fixture",
      nested: { flags: [true, false, null], count: 3, empty: {} },
    },
    aggregation: [
      { id: "vector_norm", parameters: { ord: 2 } },
      { id: "normalize", parameters: {} },
    ],
  };
  const rawDims = options.rawDims ?? 0;
  if (rawDims > 0) {
    const makeArray = (length: number) =>
      options.rawType === "float64" ? new Float64Array(length) : new Float32Array(length);
    const fill = (matrix: AttributionMatrix, columns: number) => {
      const data = makeArray(targets * columns * rawDims);
      for (let row = 0; row < targets; row++) {
        for (let column = 0; column < columns; column++) {
          for (let dim = 0; dim < rawDims; dim++) {
            data[(row * columns + column) * rawDims + dim] =
              matrix[row]![column] === null ? Number.NaN : score();
          }
        }
      }
      return { dims: [targets, columns, rawDims] as [number, number, number], data };
    };
    sequence.rawSourceAttributions = fill(sourceAttributions, source.length);
    sequence.rawTargetAttributions = fill(targetAttributions, targets);
  }
  return sequence;
}

/** One token per word (spans found in `text`), the last two merged into one unit when `mergeLast`. */
function wordTokens(text: string, words: string[], firstId: number, mergeLast: boolean): Token[] {
  let cursor = 0;
  const tokens: Token[] = words.map((word, index) => {
    const start = text.indexOf(word, cursor);
    cursor = start + word.length;
    return { id: firstId + index, text: word, span: [start, cursor], special: false };
  });
  if (!mergeLast || tokens.length < 2) return tokens;
  const last = tokens.pop()!;
  const previous = tokens.pop()!;
  const span: [number, number] = [previous.span![0], last.span![1]];
  // Members index the original tokens, counting the BOS before them.
  tokens.push({
    id: null,
    text: text.slice(...span),
    span,
    special: false,
    members: [words.length - 1, words.length],
  });
  return tokens;
}

/**
 * A copy of `result` with `round` applied to every matrix cell and step score
 * (nulls kept): the expected scores after saving at a precision.
 */
export function mapScores(result: AttributionResult, round: (value: number) => number): AttributionResult {
  const mapRow = (row: (number | null)[]) => row.map((value) => (value === null ? null : round(value)));
  return {
    ...result,
    sequences: result.sequences.map((sequence) => ({
      ...sequence,
      sourceAttributions: sequence.sourceAttributions.map(mapRow),
      targetAttributions: sequence.targetAttributions?.map(mapRow) ?? null,
      stepScores: Object.fromEntries(
        Object.entries(sequence.stepScores).map(([id, row]) => [id, mapRow(row)]),
      ),
    })),
  };
}

/** A deep copy through JSON, for corrupting a saved result in tests. */
export function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
