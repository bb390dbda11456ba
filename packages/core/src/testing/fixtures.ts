import type { Token } from "../model/token.ts";
import {
  type AggregationRecord,
  type AttributionMatrix,
  type AttributionResult,
  type RawAttributions,
  type RunInfo,
  SCHEMA_VERSION,
  type SequenceAttribution,
} from "../result/types.ts";

/**
 * A token for {@link makeSequence}: a string (its text, appended to the
 * sequence text, span computed), or a partial token. A partial token with an
 * explicit `span` (null included) is not appended to the text: use that for
 * BOS/EOS and for token texts that keep "▁"/"Ġ" markers.
 */
export type TokenSpec = string | (Partial<Token> & { text: string });

/** Options of {@link makeSequence}; every field but `source` and `target` has a deterministic default. */
export interface MakeSequenceOptions {
  source: TokenSpec[];
  target: TokenSpec[];
  /** Overrides the text built from the token specs (when spans are given explicitly). */
  sourceText?: string;
  targetText?: string;
  /** [target x source]; default: small deterministic signed values. */
  sourceAttributions?: AttributionMatrix;
  /** [target x target]; default: deterministic values for u < t, null elsewhere; null for none. */
  targetAttributions?: AttributionMatrix | null;
  /** Raw per-dimension attributions as nested [targets][columns][dims] arrays (NaN = empty cell). */
  rawSource?: number[][][];
  rawTarget?: number[][][];
  /** Store the raw tensors as Float32Array instead of Float64Array. */
  float32?: boolean;
  stepScores?: Record<string, (number | null)[]>;
  extras?: Record<string, unknown>;
  aggregation?: AggregationRecord[];
}

function makeTokens(specs: TokenSpec[]): { tokens: Token[]; text: string } {
  let text = "";
  const tokens = specs.map((spec, index): Token => {
    const partial = typeof spec === "string" ? { text: spec } : spec;
    let span = partial.span;
    if (span === undefined) {
      span = [text.length, text.length + partial.text.length];
      text += partial.text;
    }
    const token: Token = {
      id: partial.id ?? 100 + index,
      text: partial.text,
      span,
      special: partial.special ?? false,
    };
    if (partial.members) token.members = partial.members;
    if (partial.piece !== undefined) token.piece = partial.piece;
    return token;
  });
  return { tokens, text };
}

/** A deterministic signed score for cell (row, column), never zero. */
function defaultScore(row: number, column: number, offset: number): number {
  return ((((row + 1) * 7 + (column + 1) * 3 + offset) % 11) - 5.5) / 10;
}

function toRaw(nested: number[][][], float32: boolean): RawAttributions {
  const rows = nested.length;
  const columns = nested[0]?.length ?? 0;
  const dims = nested[0]?.[0]?.length ?? 1;
  const values = nested.flat(2);
  return { dims: [rows, columns, dims], data: float32 ? new Float32Array(values) : new Float64Array(values) };
}

/** Builds a {@link SequenceAttribution} for tests from token texts and optional matrices. */
export function makeSequence(options: MakeSequenceOptions): SequenceAttribution {
  const source = makeTokens(options.source);
  const target = makeTokens(options.target);
  const targets = target.tokens.length;
  const sourceAttributions =
    options.sourceAttributions ??
    target.tokens.map((_, t) => source.tokens.map((__, s) => defaultScore(t, s, 0)));
  const targetAttributions =
    options.targetAttributions === undefined
      ? target.tokens.map((_, t) => target.tokens.map((__, u) => (u < t ? defaultScore(t, u, 5) : null)))
      : options.targetAttributions;
  const sequence: SequenceAttribution = {
    sourceText: options.sourceText ?? source.text,
    targetText: options.targetText ?? target.text,
    source: source.tokens,
    target: target.tokens,
    sourceAttributions,
    targetAttributions,
    stepScores: options.stepScores ?? { probability: target.tokens.map((_, t) => (t + 1) / (targets + 1)) },
    extras: options.extras ?? {},
    aggregation: options.aggregation ?? [],
  };
  if (options.rawSource) sequence.rawSourceAttributions = toRaw(options.rawSource, options.float32 ?? false);
  if (options.rawTarget) sequence.rawTargetAttributions = toRaw(options.rawTarget, options.float32 ?? false);
  return sequence;
}

/** Options of {@link makeResult}. */
export interface MakeResultOptions {
  modelId?: string;
  methodId?: string;
  durationMs?: number;
  info?: Partial<RunInfo>;
}

/** Wraps sequences in an {@link AttributionResult} with a fixed, plausible run info. */
export function makeResult(
  sequences: SequenceAttribution[],
  options: MakeResultOptions = {},
): AttributionResult {
  return {
    schemaVersion: SCHEMA_VERSION,
    info: {
      model: { id: options.modelId ?? "test/tiny-llama" },
      method: { id: options.methodId ?? "saliency", parameters: {} },
      attributedFunction: { id: "probability", parameters: {} },
      toolVersion: "0.0.0-test",
      startedAt: "2025-01-01T00:00:00.000Z",
      durationMs: options.durationMs ?? 10,
      ...options.info,
    },
    sequences,
  };
}

/**
 * Rounds every number of a matrix to `digits` decimals (null stays null), so
 * tests compare floating-point results with `toEqual` against hand-computed values.
 */
export function roundMatrix(matrix: (number | null)[][] | null, digits = 10): (number | null)[][] | null {
  if (!matrix) return null;
  const factor = 10 ** digits;
  // Adding 0 turns -0 into 0, which toEqual would tell apart.
  return matrix.map((row) =>
    row.map((value) => (value === null ? null : Math.round(value * factor) / factor + 0)),
  );
}

/** The raw tensor of a sequence as nested [rows][columns][dims] arrays, for readable assertions. */
export function nestRaw(raw: RawAttributions | undefined): number[][][] | undefined {
  if (!raw) return undefined;
  const [rows, columns, dims] = raw.dims;
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: columns }, (__, c) =>
      Array.from(raw.data.subarray((r * columns + c) * dims, (r * columns + c + 1) * dims)),
    ),
  );
}
