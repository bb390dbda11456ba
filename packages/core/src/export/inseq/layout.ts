import type { Token } from "../../model/token.ts";
import type { AttributionResult, RawAttributions, SequenceAttribution } from "../../result/types.ts";

/**
 * One sequence as Inseq lays out a decoder-only attribution: `target` is the prompt followed by the
 * generated tokens, `source` the prompt again, and one matrix [attrPosEnd rows × (attrPosEnd −
 * attrPosStart) columns] whose row i is target token i and column j the step predicting target
 * token attrPosStart + j; the predicted token's own row and every later row are NaN, never 0.
 */
export interface InseqSequenceLayout {
  source: InseqToken[];
  target: InseqToken[];
  attrPosStart: number;
  attrPosEnd: number;
  /** Rows × columns, row-major, NaN for cells Inseq leaves empty. */
  matrix: Float64Array;
  rows: number;
  columns: number;
  /** One value per column (step), NaN where a step has none. */
  stepScores: Record<string, Float64Array>;
}

/** Inseq's TokenWithId: the tokenizer's piece (our `piece`, else the text) and the id (−1 for merged units). */
export interface InseqToken {
  token: string;
  id: number;
}

function inseqToken(token: Token): InseqToken {
  return { token: token.piece ?? token.text, id: token.id ?? -1 };
}

/** True when step t of a raw [targets, columns, dims] tensor holds any value (NaN marks empty cells). */
function rawStepAttributed(raw: RawAttributions | undefined, t: number): boolean {
  if (!raw) return false;
  const [, columns, dims] = raw.dims;
  const row = raw.data.subarray(t * columns * dims, (t + 1) * columns * dims);
  return row.some((value) => !Number.isNaN(value));
}

/**
 * The first and one-past-last target steps with any attributed cell (in the scores, or in the raw
 * tensors of an unaggregated result), or the whole target when none is.
 */
function attributedRange(sequence: SequenceAttribution): [number, number] {
  const attributed = (t: number) =>
    sequence.sourceAttributions[t]!.some((cell) => cell !== null) ||
    (sequence.targetAttributions?.[t]?.some((cell) => cell !== null) ?? false) ||
    rawStepAttributed(sequence.rawSourceAttributions, t);
  let first = 0;
  while (first < sequence.target.length && !attributed(first)) first++;
  if (first === sequence.target.length) return [0, sequence.target.length];
  let last = sequence.target.length;
  while (last > first && !attributed(last - 1)) last--;
  return [first, last];
}

/**
 * Lays out one of our sequences as Inseq's decoder-only output: our [target × source] and
 * [target × target] matrices transposed into Inseq's [input tokens × generated tokens], prompt rows
 * first, then the earlier generated tokens. Empty cells (null) become NaN. Attributed steps must be a
 * contiguous range, as Inseq's attr_pos_start/attr_pos_end are; steps inside it that were not
 * attributed are NaN columns.
 */
export function inseqSequenceLayout(sequence: SequenceAttribution): InseqSequenceLayout {
  const prompt = sequence.source.length;
  const [firstStep, endStep] = attributedRange(sequence);
  const attrPosStart = prompt + firstStep;
  const attrPosEnd = prompt + endStep;
  const rows = attrPosEnd;
  const columns = endStep - firstStep;
  const matrix = new Float64Array(rows * columns).fill(Number.NaN);
  for (let j = 0; j < columns; j++) {
    const t = firstStep + j;
    const sourceRow = sequence.sourceAttributions[t]!;
    for (let s = 0; s < prompt; s++) matrix[s * columns + j] = sourceRow[s] ?? Number.NaN;
    const targetRow = sequence.targetAttributions?.[t];
    for (let u = 0; u < t && targetRow; u++) matrix[(prompt + u) * columns + j] = targetRow[u] ?? Number.NaN;
  }
  const stepScores: Record<string, Float64Array> = {};
  for (const [id, values] of Object.entries(sequence.stepScores)) {
    stepScores[id] = Float64Array.from({ length: columns }, (_, j) => values[firstStep + j] ?? Number.NaN);
  }
  return {
    source: sequence.source.map(inseqToken),
    target: [...sequence.source, ...sequence.target].map(inseqToken),
    attrPosStart,
    attrPosEnd,
    matrix,
    rows,
    columns,
    stepScores,
  };
}

/** Every sequence of a result in Inseq's layout. */
export function inseqLayout(result: AttributionResult): InseqSequenceLayout[] {
  return result.sequences.map(inseqSequenceLayout);
}
