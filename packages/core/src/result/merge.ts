import { TokenscopeError } from "../errors/index.ts";
import type { Token } from "../model/token.ts";
import { assertSequenceShape } from "./sequence-shape.ts";
import type { AttributionMatrix, AttributionResult, RawAttributions, SequenceAttribution } from "./types.ts";

/** Options of {@link mergeResults}. */
export interface MergeResultsOptions {
  /**
   * "sequences" (default): concatenate the sequences of several runs.
   * "steps": combine runs over the SAME sequences that attributed different target rows.
   */
  mode?: "sequences" | "steps";
}

function incompatible(message: string, hint: string, details: Record<string, unknown>): never {
  throw new TokenscopeError("INCOMPATIBLE_RESULTS", message, { hint, details });
}

/** Fields that must agree between merged results, read from a result. */
const sharedFields: [string, (result: AttributionResult) => unknown][] = [
  ["schemaVersion", (result) => result.schemaVersion],
  ["model id", (result) => result.info.model.id],
  ["method id", (result) => result.info.method.id],
];
// Rows attributed to different functions cannot share one matrix.
const stepFields: [string, (result: AttributionResult) => unknown][] = [
  ["attributed function id", (result) => result.info.attributedFunction?.id ?? null],
];

function assertSameRun(results: readonly AttributionResult[], fields: typeof sharedFields): void {
  const first = results[0]!;
  results.forEach((result, index) => {
    for (const [field, read] of fields) {
      if (read(result) !== read(first)) {
        incompatible(
          `Cannot merge results: result ${index} has ${field} ${JSON.stringify(read(result))} where result 0 has ${JSON.stringify(read(first))}.`,
          "Merge only results of the same schema version, model and method; re-run the odd one out.",
          { field, index, expected: read(first), actual: read(result) },
        );
      }
    }
  });
}

/** The first run's info, with the durations of all runs added up. */
function mergedInfo(results: readonly AttributionResult[]): AttributionResult["info"] {
  const info = structuredClone(results[0]!.info);
  info.durationMs = results.reduce((total, result) => total + result.info.durationMs, 0);
  return info;
}

function sameToken(a: Token, b: Token): boolean {
  return (
    a.id === b.id &&
    a.text === b.text &&
    a.special === b.special &&
    JSON.stringify(a.span) === JSON.stringify(b.span) &&
    JSON.stringify(a.members ?? null) === JSON.stringify(b.members ?? null)
  );
}

/** Where a conflict was found, for messages. */
interface Place {
  sequence: number;
  what: string;
}

function combineCell(
  a: number | null | undefined,
  b: number | null | undefined,
  place: Place,
): number | null {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined || Object.is(a, b) || a === b) return a;
  return incompatible(
    `Cannot merge results: sequence ${place.sequence}, ${place.what} is ${a} in one result and ${b} in another.`,
    'Mode "steps" combines runs that attributed different target rows; attribute each row in one run only.',
    { sequence: place.sequence, cell: place.what, values: [a, b] },
  );
}

function combineMatrices(
  a: AttributionMatrix | null,
  b: AttributionMatrix | null,
  name: string,
  sequence: number,
): AttributionMatrix | null {
  const shape = a ?? b;
  if (!shape) return null;
  return shape.map((row, t) =>
    row.map((_, u) => combineCell(a?.[t]?.[u], b?.[t]?.[u], { sequence, what: `${name}[${t}][${u}]` })),
  );
}

function combineRaw(
  a: RawAttributions | undefined,
  b: RawAttributions | undefined,
  name: string,
  sequence: number,
): RawAttributions | undefined {
  if (!a && !b) return undefined;
  if (!a || !b) {
    return incompatible(
      `Cannot merge results: sequence ${sequence} has ${name} in one result only.`,
      "Keep raw per-dimension attributions in every run, or in none, before merging steps.",
      { sequence, field: name },
    );
  }
  const data =
    a.data instanceof Float32Array ? new Float32Array(a.data.length) : new Float64Array(a.data.length);
  a.data.forEach((value, index) => {
    const other = b.data[index]!;
    const place = { sequence, what: `${name} value ${index}` };
    const combined = combineCell(
      Number.isNaN(value) ? null : value,
      Number.isNaN(other) ? null : other,
      place,
    );
    data[index] = combined ?? Number.NaN;
  });
  return { dims: [...a.dims], data };
}

function combineStepScores(
  a: SequenceAttribution["stepScores"],
  b: SequenceAttribution["stepScores"],
  sequence: number,
): SequenceAttribution["stepScores"] {
  const ids = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return Object.fromEntries(
    ids.map((id) => {
      const length = (a[id] ?? b[id])!.length;
      const scores = Array.from({ length }, (_, t) =>
        combineCell(a[id]?.[t], b[id]?.[t], { sequence, what: `step score "${id}"[${t}]` }),
      );
      return [id, scores];
    }),
  );
}

/** Per-step arrays combine like rows; any other extra keeps the first run's value. */
function combineExtras(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  targets: number,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...b, ...a };
  for (const [key, value] of Object.entries(a)) {
    const other = b[key];
    if (
      Array.isArray(value) &&
      Array.isArray(other) &&
      value.length === targets &&
      other.length === targets
    ) {
      merged[key] = value.map((item, t) => item ?? other[t] ?? null);
    }
  }
  return structuredClone(merged);
}

function combineSequences(
  a: SequenceAttribution,
  b: SequenceAttribution,
  index: number,
): SequenceAttribution {
  const checks: [string, boolean][] = [
    ["sourceText", a.sourceText === b.sourceText],
    ["targetText", a.targetText === b.targetText],
    [
      "source tokens",
      a.source.length === b.source.length && a.source.every((t, i) => sameToken(t, b.source[i]!)),
    ],
    [
      "target tokens",
      a.target.length === b.target.length && a.target.every((t, i) => sameToken(t, b.target[i]!)),
    ],
    ["aggregation", JSON.stringify(a.aggregation) === JSON.stringify(b.aggregation)],
  ];
  for (const [field, same] of checks) {
    if (!same) {
      incompatible(
        `Cannot merge results: sequence ${index} differs in its ${field}.`,
        'Mode "steps" combines runs over the same sequences, tokenized and aggregated alike; use mode "sequences" to concatenate different sequences.',
        { sequence: index, field },
      );
    }
  }
  const merged: SequenceAttribution = {
    sourceText: a.sourceText,
    targetText: a.targetText,
    source: structuredClone(a.source),
    target: structuredClone(a.target),
    sourceAttributions: combineMatrices(
      a.sourceAttributions,
      b.sourceAttributions,
      "sourceAttributions",
      index,
    )!,
    targetAttributions: combineMatrices(
      a.targetAttributions,
      b.targetAttributions,
      "targetAttributions",
      index,
    ),
    stepScores: combineStepScores(a.stepScores, b.stepScores, index),
    extras: combineExtras(a.extras, b.extras, a.target.length),
    aggregation: structuredClone(a.aggregation),
  };
  const rawSource = combineRaw(
    a.rawSourceAttributions,
    b.rawSourceAttributions,
    "rawSourceAttributions",
    index,
  );
  const rawTarget = combineRaw(
    a.rawTargetAttributions,
    b.rawTargetAttributions,
    "rawTargetAttributions",
    index,
  );
  if (rawSource) merged.rawSourceAttributions = rawSource;
  if (rawTarget) merged.rawTargetAttributions = rawTarget;
  if (a.contrast) merged.contrast = structuredClone(a.contrast);
  return merged;
}

/**
 * Merges several results into one. Mode "sequences" (default) concatenates
 * their sequences; mode "steps" combines results over the same sequences whose
 * target rows were attributed in different runs (a cell null in one and filled
 * in the other takes the filled value; a cell filled in both with different
 * values, differing tokens or texts are `INCOMPATIBLE_RESULTS`). Results must
 * share schema version, model id and method id (and, for "steps", attributed
 * function id). The merged info is the first run's with `durationMs` summed.
 * Returns a new result; the inputs are not modified.
 */
export function mergeResults(
  results: readonly AttributionResult[],
  options: MergeResultsOptions = {},
): AttributionResult {
  if (results.length === 0) {
    throw new TokenscopeError("INVALID_INPUT", "mergeResults needs at least one result.", {
      hint: "Pass an array of one or more attribution results.",
    });
  }
  const mode = options.mode ?? "sequences";
  if (mode === "sequences") {
    assertSameRun(results, sharedFields);
    return {
      schemaVersion: results[0]!.schemaVersion,
      info: mergedInfo(results),
      sequences: results.flatMap((result) => structuredClone(result.sequences)),
    };
  }
  assertSameRun(results, [...sharedFields, ...stepFields]);
  const first = results[0]!;
  results.forEach((result, index) => {
    if (result.sequences.length !== first.sequences.length) {
      incompatible(
        `Cannot merge results: result ${index} has ${result.sequences.length} sequences where result 0 has ${first.sequences.length}.`,
        'Mode "steps" combines runs over the same sequences; use mode "sequences" to concatenate different ones.',
        { field: "sequences", index, expected: first.sequences.length, actual: result.sequences.length },
      );
    }
    result.sequences.forEach((sequence, s) => {
      assertSequenceShape(sequence, `mergeResults (result ${index}, sequence ${s})`);
    });
  });
  const sequences = first.sequences.map((sequence, s) =>
    results
      .slice(1)
      .reduce(
        (merged, result) => combineSequences(merged, result.sequences[s]!, s),
        structuredClone(sequence),
      ),
  );
  return { schemaVersion: first.schemaVersion, info: mergedInfo(results), sequences };
}
