import { type LanguageModel, type MethodContext, sourceLengthsFor, throwIfAborted } from "@tokenscope/core";
import { rowsWithinBudget } from "../shared/memory-budget.ts";
import type { StepTask } from "../shared/step-tasks.ts";

function cumulativeSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < logits.length; v++) max = Math.max(max, logits[v]!);
  const cdf = new Float64Array(logits.length);
  let sum = 0;
  for (let v = 0; v < logits.length; v++) {
    sum += Math.exp(logits[v]! - max);
    cdf[v] = sum;
  }
  return cdf;
}

/**
 * The model's predictive distribution at every position of every sequence's
 * original input, as cumulative (unnormalised) softmax vectors: entry p − 1 is
 * the distribution of the token at position p given the tokens before it.
 * One forward pass per `batchSize` sequences (fewer under the context's
 * memory budget; a row that cannot fit throws `INVALID_INPUT` before the
 * first), on each sequence's longest attributed prefix (causality makes it
 * serve every shorter step). An encoder-decoder's rows have logits from the last source position
 * on (`sourceLength − 1` predicts the first target token): the entries of source positions are
 * left empty.
 */
export async function predictiveDistributions(
  model: LanguageModel,
  tasks: StepTask[],
  rowsPerCall: number,
  context: Pick<MethodContext<unknown>, "signal" | "memoryBudgetBytes">,
): Promise<(task: StepTask) => Float64Array[]> {
  const { signal } = context;
  const longest = new Map<number, { ids: readonly number[]; sourceLength: number }>();
  for (const task of tasks) {
    const current = longest.get(task.sequence);
    if (!current || current.ids.length < task.ids.length) {
      longest.set(task.sequence, { ids: task.ids, sourceLength: task.sourceLength });
    }
  }
  const sequences = [...longest.keys()];
  const longestRow = Math.max(1, ...[...longest.values()].map((row) => row.ids.length));
  const batchSize = rowsWithinBudget(
    model.info,
    { length: longestRow, logitPositions: longestRow, embeddings: false },
    rowsPerCall,
    context.memoryBudgetBytes,
    "reagent",
  );
  // The first position with logits: 0 for a causal model, the last source position for an encoder-decoder.
  const firstOf = (row: { ids: readonly number[]; sourceLength: number }) =>
    model.info.encoderDecoder ? Math.max(0, row.sourceLength - 1) : 0;
  const distributions = new Map<number, Float64Array[]>();
  for (let start = 0; start < sequences.length; start += batchSize) {
    throwIfAborted(signal);
    const chunk = sequences.slice(start, start + batchSize);
    const rows = chunk.map((sequence) => longest.get(sequence)!);
    const length = Math.max(...rows.map((row) => row.ids.length));
    // Positions first … length − 2 of each row predict its next tokens; every row asks for as many.
    const counts = rows.map((row) => Math.max(0, row.ids.length - 1 - firstOf(row)));
    const width = Math.max(1, ...counts);
    const ids = rows.map((row) => [
      ...row.ids,
      ...new Array<number>(length - row.ids.length).fill(row.ids[row.ids.length - 1]!),
    ]);
    const ragged = rows.some((row) => row.ids.length !== length);
    const positions = rows.map((row, b) =>
      Array.from({ length: width }, (_, p) => firstOf(row) + Math.min(p, Math.max(0, counts[b]! - 1))),
    );
    const { logits } = await model.forward!({
      inputs: {
        ids,
        ...(ragged
          ? { attentionMask: rows.map((row) => ids[0]!.map((_, p) => (p < row.ids.length ? 1 : 0))) }
          : {}),
        ...sourceLengthsFor(
          model,
          rows.map((row) => row.sourceLength),
        ),
      },
      positions,
      ...(signal ? { signal } : {}),
    });
    const vocab = logits.dims[2]!;
    chunk.forEach((sequence, b) => {
      const first = firstOf(rows[b]!);
      const entries: Float64Array[] = [];
      for (let p = 0; p < counts[b]!; p++) {
        entries[first + p] = cumulativeSoftmax(
          logits.data.subarray((b * width + p) * vocab, (b * width + p + 1) * vocab),
        );
      }
      distributions.set(sequence, entries);
    });
  }
  return (task) => distributions.get(task.sequence) ?? [];
}
