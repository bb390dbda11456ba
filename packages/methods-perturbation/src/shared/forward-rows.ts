import {
  type LanguageModel,
  type LogitVector,
  type ModelInputs,
  responsiveRowsPerCall,
  sourceLengthsFor,
  type TensorData,
  TokenscopeError,
  throwIfAborted,
} from "@tokenscope/core";
import { rowsWithinBudget } from "./memory-budget.ts";

/**
 * One perturbed model input. `ids` is the input of one attributed step (its
 * prefix up to the prediction position, perturbed, shorter under removal); the
 * logits are read at its last position.
 */
export interface ForwardRow {
  ids: readonly number[];
  /**
   * How many of `ids` are the source (shorter under removal): what an encoder-decoder model needs
   * to split the row (core's `ModelInputs.sourceLengths`); decoder-only models ignore it.
   */
  sourceLength?: number;
  /** Positions whose input embedding is replaced by `embedding` (zeros when null). */
  replaced?: { positions: readonly number[]; embedding: TensorData | null };
}

/** Options of {@link evaluateRows}. */
export interface EvaluateRowsOptions {
  model: LanguageModel;
  /** Number of rows. */
  count: number;
  /** Row `index`, built when its batch is sent (rows are never all held at once). */
  rowAt(index: number): ForwardRow;
  /**
   * The contrast row of row `index`, sent beside it (in the same forward call when it fits, else
   * at the start of the next): the contrast input perturbed as row `index` is. Undefined: none.
   */
  contrastRowAt?(index: number): ForwardRow | undefined;
  /**
   * Turns the logits at the last position of row `index` (and of its contrast row, when it has
   * one) into the number kept for it.
   */
  read(logits: LogitVector, index: number, contrastLogits?: LogitVector): number;
  batchSize: number;
  /**
   * Bytes one forward call may use (the context's `memoryBudgetBytes`): lowers the rows per call,
   * and a row that cannot fit throws `INVALID_INPUT` before the first call.
   */
  memoryBudgetBytes?: number | undefined;
  /** The method, for the message when a row does not fit the budget. */
  method?: string;
  /**
   * Tokens in the longest row, contrast rows included, for the memory estimate (default: the
   * model's context length).
   */
  longestRow?: number;
  /** Send input embeddings (from `embed`) instead of ids; needed when rows replace embeddings. */
  embeddings: boolean;
  signal?: AbortSignal | undefined;
  /** Called after each forward call with the rows done so far (contrast rows not counted). */
  onBatch?: (completedRows: number, totalRows: number) => void;
}

function paddedIds(rows: ForwardRow[], length: number): number[][] {
  // Right padding repeats the row's last id: any valid id will do, since a causal model's
  // logits at the read position never see later positions and the mask marks them.
  return rows.map((row) => {
    const padded = [...row.ids];
    while (padded.length < length) padded.push(row.ids[row.ids.length - 1]!);
    return padded;
  });
}

async function embeddedInputs(model: LanguageModel, rows: ForwardRow[], ids: number[][]) {
  const embedded = await model.embed!(
    ids,
    sourceLengthsFor(
      model,
      rows.map((row) => row.sourceLength ?? 0),
    ),
  );
  const [batch, length, hidden] = embedded.dims as [number, number, number];
  const data = embedded.data.slice();
  rows.forEach((row, b) => {
    if (!row.replaced) return;
    for (const position of row.replaced.positions) {
      const offset = (b * length + position) * hidden;
      if (row.replaced.embedding) data.set(row.replaced.embedding, offset);
      else data.fill(0, offset, offset + hidden);
    }
  });
  return { data, dims: [batch, length, hidden] };
}

/** A row as sent: row `index`, or its contrast row, and whether a contrast row follows it. */
interface SentRow {
  index: number;
  row: ForwardRow;
  contrast: boolean;
  awaitsContrast: boolean;
}

/** Rows `0..count-1` in order, each followed by its contrast row; built lazily, when taken. */
function* sentRows(options: EvaluateRowsOptions): Generator<SentRow> {
  for (let index = 0; index < options.count; index++) {
    const row = options.rowAt(index);
    const contrastRow = options.contrastRowAt?.(index);
    yield { index, row, contrast: false, awaitsContrast: contrastRow !== undefined };
    if (contrastRow) yield { index, row: contrastRow, contrast: true, awaitsContrast: false };
  }
}

function take(rows: Iterator<SentRow>, count: number): SentRow[] {
  const taken: SentRow[] = [];
  while (taken.length < count) {
    const next = rows.next();
    if (next.done) break;
    taken.push(next.value);
  }
  return taken;
}

async function forwardLastPositions(
  model: LanguageModel,
  rows: ForwardRow[],
  embeddings: boolean,
  signal: AbortSignal | undefined,
) {
  const length = Math.max(...rows.map((row) => row.ids.length));
  if (rows.some((row) => row.ids.length === 0)) {
    throw new TokenscopeError("INVALID_INPUT", "A perturbed input has no tokens left to predict from.", {
      hint: 'Keep a BOS token in the prompt (include_special: false leaves it alone) or use a baseline other than "removal".',
    });
  }
  const ids = paddedIds(rows, length);
  const ragged = rows.some((row) => row.ids.length !== length);
  if (model.info.encoderDecoder && rows.some((row) => row.sourceLength === undefined)) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      "These perturbed inputs carry no source length, which an encoder-decoder model needs to split them.",
      {
        hint: "Contrastive runs with a contrast source do not support encoder-decoder models yet; attribute without it.",
      },
    );
  }
  const split = sourceLengthsFor(
    model,
    rows.map((row) => row.sourceLength ?? 0),
  );
  const attentionMask = ragged
    ? rows.map((row) => Array.from({ length }, (_, position) => (position < row.ids.length ? 1 : 0)))
    : undefined;
  const inputs: ModelInputs = embeddings
    ? {
        embeddings: await embeddedInputs(model, rows, ids),
        ...(attentionMask ? { attentionMask } : {}),
        ...split,
      }
    : { ids, ...(attentionMask ? { attentionMask } : {}), ...split };
  const { logits } = await model.forward!({
    inputs,
    positions: rows.map((row) => [row.ids.length - 1]),
    ...(signal ? { signal } : {}),
  });
  return logits;
}

/**
 * Runs `count` perturbed rows, and the contrast row of each that has one, through the model in
 * forward calls of at most `batchSize` rows (contrast rows count as rows; fewer when a memory
 * budget asks for it, or when one call would hold the event loop for long; never one call per
 * perturbation; never over the budget: a row that cannot fit stops the run before the first call),
 * asking only for the logits at each row's last position, and returns `read` of each row's logits.
 * Ragged rows are right-padded and masked. Checks `signal` before each call.
 */
export async function evaluateRows(options: EvaluateRowsOptions): Promise<Float64Array> {
  const { model, count } = options;
  const batchSize = rowsWithinBudget(
    model.info,
    {
      length: options.longestRow ?? model.info.contextLength,
      logitPositions: 1,
      embeddings: options.embeddings,
    },
    options.batchSize,
    options.memoryBudgetBytes,
    options.method,
  );
  // Smaller calls than batch_size where one would hold the event loop for long (Ctrl-C).
  const callRows = Math.min(
    batchSize,
    responsiveRowsPerCall(model.info, options.longestRow ?? model.info.contextLength, "forward"),
  );
  const values = new Float64Array(count);
  const rows = sentRows(options);
  // The logits of a row whose contrast row is still to come (at most one: it follows its row).
  let waiting: LogitVector | undefined;
  let completed = 0;
  while (completed < count) {
    throwIfAborted(options.signal);
    const call = take(rows, callRows);
    const logits = await forwardLastPositions(
      model,
      call.map((sent) => sent.row),
      options.embeddings,
      options.signal,
    );
    const vocab = logits.dims[logits.dims.length - 1]!;
    call.forEach((sent, b) => {
      const rowLogits = logits.data.subarray(b * vocab, (b + 1) * vocab);
      if (sent.awaitsContrast) {
        waiting = rowLogits;
        return;
      }
      values[sent.index] = sent.contrast
        ? options.read(waiting!, sent.index, rowLogits)
        : options.read(rowLogits, sent.index);
      waiting = undefined;
      completed = sent.index + 1;
    });
    // Its contrast row opens the next call: keep a copy, not a view into this call's logits.
    if (waiting) waiting = waiting.slice();
    options.onBatch?.(completed, count);
  }
  throwIfAborted(options.signal);
  return values;
}
