import { type LanguageModel, type MethodContext, throwIfAborted } from "@tokenscope/core";
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
 * serve every shorter step).
 */
export async function predictiveDistributions(
  model: LanguageModel,
  tasks: StepTask[],
  rowsPerCall: number,
  context: Pick<MethodContext<unknown>, "signal" | "memoryBudgetBytes">,
): Promise<(task: StepTask) => Float64Array[]> {
  const { signal } = context;
  const longest = new Map<number, readonly number[]>();
  for (const task of tasks) {
    const current = longest.get(task.sequence);
    if (!current || current.length < task.ids.length) longest.set(task.sequence, task.ids);
  }
  const sequences = [...longest.keys()];
  const longestRow = Math.max(1, ...[...longest.values()].map((ids) => ids.length));
  const batchSize = rowsWithinBudget(
    model.info,
    { length: longestRow, logitPositions: longestRow, embeddings: false },
    rowsPerCall,
    context.memoryBudgetBytes,
    "reagent",
  );
  const distributions = new Map<number, Float64Array[]>();
  for (let start = 0; start < sequences.length; start += batchSize) {
    throwIfAborted(signal);
    const chunk = sequences.slice(start, start + batchSize);
    const rows = chunk.map((sequence) => longest.get(sequence)!);
    const length = Math.max(...rows.map((ids) => ids.length));
    const width = Math.max(1, length - 1);
    const ids = rows.map((row) => [
      ...row,
      ...new Array<number>(length - row.length).fill(row[row.length - 1]!),
    ]);
    const ragged = rows.some((row) => row.length !== length);
    const positions = rows.map((row) =>
      Array.from({ length: width }, (_, p) => Math.min(p, Math.max(0, row.length - 2))),
    );
    const { logits } = await model.forward!({
      inputs: {
        ids,
        ...(ragged
          ? { attentionMask: rows.map((row) => ids[0]!.map((_, p) => (p < row.length ? 1 : 0))) }
          : {}),
      },
      positions,
      ...(signal ? { signal } : {}),
    });
    const vocab = logits.dims[2]!;
    chunk.forEach((sequence, b) => {
      const count = rows[b]!.length - 1;
      distributions.set(
        sequence,
        Array.from({ length: count }, (_, p) =>
          cumulativeSoftmax(logits.data.subarray((b * width + p) * vocab, (b * width + p + 1) * vocab)),
        ),
      );
    });
  }
  return (task) => distributions.get(task.sequence) ?? [];
}
