import {
  type LanguageModel,
  type ModelInputs,
  responsiveRowsPerCall,
  type TensorData,
  throwIfAborted,
} from "@tokenscope/core";
import { softmax } from "./distribution.ts";

/** The model input of one probe row: token ids, or input embeddings [length, hidden] row-major. */
export type ProbeInput = { ids: number[] } | { embeddings: TensorData };

/** One perturbed input; the next-token distribution is read at its last position. */
export interface ProbeRow {
  /** Tokens in the row. */
  length: number;
  /** Whether the row is sent as ids or as embeddings (a forward call carries one kind). */
  kind: "ids" | "embeddings";
  /** Builds the input when its batch is sent, so rows are never all held at once. */
  input(): ProbeInput;
}

/** Options of {@link runProbeRows}. */
export interface RunProbeRowsOptions {
  model: LanguageModel;
  rows: readonly ProbeRow[];
  /** Hidden size of the embedding rows. */
  hidden: number;
  /** Rows per forward call at most. */
  batchSize: number;
  /** Receives the next-token distribution (float64 softmax) of row `index`. */
  read(probabilities: Float64Array, index: number): void;
  signal?: AbortSignal | undefined;
  /** Called after each forward call with the number of rows it carried. */
  onBatch?: (rows: number) => void;
}

/**
 * Sends probe rows through `model.forward` the way tokenscope's perturbation methods batch their
 * perturbed inputs: up to `batchSize` rows per call (fewer when one call would hold the event loop for
 * long, `responsiveRowsPerCall`), rows of one kind per call (ids, then embeddings), ragged rows
 * right-padded (last id repeated, or zero embeddings) and masked, only each row's last position's logits
 * asked for. A causal model's logits there never see the padding. Checks `signal` before each call.
 */
export async function runProbeRows(options: RunProbeRowsOptions): Promise<void> {
  const { model, rows, hidden } = options;
  const order = [
    ...rows.flatMap((row, index) => (row.kind === "ids" ? [index] : [])),
    ...rows.flatMap((row, index) => (row.kind === "embeddings" ? [index] : [])),
  ];
  let start = 0;
  while (start < order.length) {
    throwIfAborted(options.signal);
    const kind = rows[order[start]!]!.kind;
    const longest = rows[order[start]!]!.length;
    const callRows = Math.max(
      1,
      Math.min(options.batchSize, responsiveRowsPerCall(model.info, longest, "forward")),
    );
    let end = start;
    while (end < order.length && end - start < callRows && rows[order[end]!]!.kind === kind) end++;
    const batch = order.slice(start, end);
    const length = Math.max(...batch.map((index) => rows[index]!.length));
    const ragged = batch.some((index) => rows[index]!.length !== length);
    const attentionMask = ragged
      ? batch.map((index) =>
          Array.from({ length }, (_, position) => (position < rows[index]!.length ? 1 : 0)),
        )
      : undefined;
    let inputs: ModelInputs;
    if (kind === "ids") {
      const ids = batch.map((index) => {
        const built = rows[index]!.input() as { ids: number[] };
        const padded = [...built.ids];
        while (padded.length < length) padded.push(built.ids[built.ids.length - 1]!);
        return padded;
      });
      inputs = { ids, ...(attentionMask ? { attentionMask } : {}) };
    } else {
      const built = batch.map((index) => (rows[index]!.input() as { embeddings: TensorData }).embeddings);
      const size = batch.length * length * hidden;
      // Float64 embeddings (a plain-TypeScript model's) stay float64; a runtime's float32 stay float32.
      const data = built[0] instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
      built.forEach((embeddings, b) => {
        data.set(embeddings, b * length * hidden);
      });
      inputs = {
        embeddings: { data, dims: [batch.length, length, hidden] },
        ...(attentionMask ? { attentionMask } : {}),
      };
    }
    const { logits } = await model.forward!({
      inputs,
      positions: batch.map((index) => [rows[index]!.length - 1]),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const vocab = logits.dims[logits.dims.length - 1]!;
    batch.forEach((index, b) => {
      options.read(softmax(logits.data.subarray(b * vocab, (b + 1) * vocab)), index);
    });
    options.onBatch?.(batch.length);
    start = end;
  }
  throwIfAborted(options.signal);
}
