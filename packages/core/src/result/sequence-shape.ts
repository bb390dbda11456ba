import { TokenscopeError } from "../errors/index.ts";
import type { AttributionMatrix, RawAttributions, SequenceAttribution } from "./types.ts";

function fail(owner: string, problem: string, details: Record<string, unknown>): never {
  throw new TokenscopeError("INVALID_INPUT", `${owner}: ${problem}`, {
    hint: "Each matrix has one row per target token and one column per source (or target) token; rebuild the sequence or load it with the result validator.",
    details: { owner, ...details },
  });
}

function assertMatrix(
  matrix: AttributionMatrix,
  rows: number,
  columns: number,
  name: string,
  owner: string,
): void {
  if (matrix.length !== rows) {
    fail(owner, `${name} has ${matrix.length} rows but the sequence has ${rows} target tokens.`, {
      matrix: name,
      rows: matrix.length,
      expected: rows,
    });
  }
  matrix.forEach((row, index) => {
    if (row.length !== columns) {
      fail(owner, `${name}[${index}] has ${row.length} cells where ${columns} were expected.`, {
        matrix: name,
        row: index,
        columns: row.length,
        expected: columns,
      });
    }
  });
}

/**
 * Checks that raw per-dimension attributions are [rows, columns, dims] and
 * that `data` holds exactly that many values; throws `INVALID_INPUT` otherwise.
 */
export function assertRawShape(
  raw: RawAttributions,
  rows: number,
  columns: number,
  name: string,
  owner: string,
): void {
  const [rawRows, rawColumns, dims] = raw.dims;
  if (rawRows !== rows || rawColumns !== columns) {
    fail(owner, `${name} is [${raw.dims.join(", ")}] but the sequence needs [${rows}, ${columns}, dims].`, {
      matrix: name,
      dims: raw.dims,
    });
  }
  if (!Number.isInteger(dims) || dims < 1 || raw.data.length !== rows * columns * dims) {
    fail(owner, `${name} declares dims [${raw.dims.join(", ")}] but holds ${raw.data.length} values.`, {
      matrix: name,
      dims: raw.dims,
      length: raw.data.length,
    });
  }
}

/**
 * Checks that a sequence's matrices, raw tensors and step scores agree with
 * its token lists. `owner` names who is checking (an aggregator, an export),
 * so the error says where the bad sequence was found. Throws `INVALID_INPUT`.
 */
export function assertSequenceShape(sequence: SequenceAttribution, owner: string): void {
  const targets = sequence.target.length;
  const sources = sequence.source.length;
  assertMatrix(sequence.sourceAttributions, targets, sources, "sourceAttributions", owner);
  if (sequence.targetAttributions) {
    assertMatrix(sequence.targetAttributions, targets, targets, "targetAttributions", owner);
  }
  if (sequence.rawSourceAttributions) {
    assertRawShape(sequence.rawSourceAttributions, targets, sources, "rawSourceAttributions", owner);
  }
  if (sequence.rawTargetAttributions) {
    assertRawShape(sequence.rawTargetAttributions, targets, targets, "rawTargetAttributions", owner);
  }
  for (const [id, scores] of Object.entries(sequence.stepScores)) {
    if (scores.length !== targets) {
      fail(owner, `step score "${id}" has ${scores.length} values for ${targets} target tokens.`, {
        stepScore: id,
        length: scores.length,
        expected: targets,
      });
    }
  }
}
