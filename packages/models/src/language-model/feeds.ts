import { type DenseTensor, type ModelInputs, TokenscopeError } from "@tokenscope/core";
import type { RuntimeTensor } from "@tokenscope/tensor-backends";
import { decoderTensorNames } from "../graphs/tensor-names.ts";

/** Batch size and sequence length of model inputs. */
export function inputShape(inputs: ModelInputs): { batch: number; seq: number } {
  if ("ids" in inputs) {
    const seq = inputs.ids[0]?.length ?? 0;
    for (const row of inputs.ids) {
      if (row.length !== seq) {
        throw new TokenscopeError("INVALID_INPUT", "Rows of a batch must have equal length.", {
          hint: "Pad shorter rows and mark the padding with attentionMask 0.",
        });
      }
    }
    return { batch: inputs.ids.length, seq };
  }
  const [batch, seq] = inputs.embeddings.dims as [number, number, number];
  return { batch, seq };
}

/**
 * Refuses fed embeddings that are not [batch, seq, width] with as many values, and embedding
 * replacements outside the batch or of another width: either would run on misplaced values.
 * @throws TokenscopeError INVALID_INPUT saying which shape was expected.
 */
export function checkEmbeddingInputs(
  inputs: ModelInputs,
  replacements: readonly { batch: number; position: number; embedding: ArrayLike<number> }[],
  width: number,
): void {
  const { batch, seq } = inputShape(inputs);
  if ("embeddings" in inputs) {
    const { dims, data } = inputs.embeddings;
    if (dims.length !== 3 || dims[2] !== width || data.length !== batch * seq * width) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Input embeddings must be [batch, seq, ${width}] with as many values; got dims [${dims.join(", ")}] and ${data.length} values.`,
        {
          hint: `Make each position's embedding ${width} numbers wide, as embed() returns them.`,
          details: { dims },
        },
      );
    }
  }
  for (const change of replacements) {
    const inside =
      Number.isInteger(change.batch) &&
      Number.isInteger(change.position) &&
      change.batch >= 0 &&
      change.batch < batch &&
      change.position >= 0 &&
      change.position < seq;
    if (!inside || change.embedding.length !== width) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `replaceEmbedding at batch ${change.batch}, position ${change.position} with ${change.embedding.length} numbers does not fit inputs of [${batch}, ${seq}, ${width}].`,
        { hint: `Replace a position inside the inputs with an embedding of ${width} numbers.` },
      );
    }
  }
}

function int64(values: number[][], batch: number, seq: number): RuntimeTensor {
  const data = new BigInt64Array(batch * seq);
  values.forEach((row, b) => {
    row.forEach((value, t) => {
      data[b * seq + t] = BigInt(value);
    });
  });
  return { dataType: "int64", dims: [batch, seq], data };
}

/**
 * The graph feeds for `inputs`: token ids or embeddings, the attention mask (all ones by default)
 * and position ids counting real tokens only, so left padding gives the same positions as no padding.
 */
export function inputFeeds(inputs: ModelInputs): Record<string, RuntimeTensor> {
  const { batch, seq } = inputShape(inputs);
  const mask = inputs.attentionMask ?? Array.from({ length: batch }, () => new Array<number>(seq).fill(1));
  const positions = mask.map((row) => {
    let count = 0;
    return row.map((flag) => (flag ? count++ : 0));
  });
  const feeds: Record<string, RuntimeTensor> = {
    [decoderTensorNames.attentionMask]: int64(mask, batch, seq),
    [decoderTensorNames.positionIds]: int64(positions, batch, seq),
  };
  if ("ids" in inputs) feeds[decoderTensorNames.inputIds] = int64(inputs.ids, batch, seq);
  else feeds[decoderTensorNames.inputsEmbeds] = float32Tensor(inputs.embeddings);
  return feeds;
}

/** The `logit_positions` feed [batch, P]. */
export function positionFeed(positions: number[][]): RuntimeTensor {
  const width = positions[0]?.length ?? 0;
  return int64(positions, positions.length, width);
}

/** A core tensor as a float32 runtime tensor (converting float64 data). */
export function float32Tensor(tensor: DenseTensor): RuntimeTensor {
  const data = tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data);
  return { dataType: "float32", dims: [...tensor.dims], data };
}

/** A runtime tensor as a core tensor. */
export function denseTensor(tensor: RuntimeTensor): DenseTensor {
  const data =
    tensor.data instanceof Float32Array || tensor.data instanceof Float64Array
      ? tensor.data
      : Float32Array.from(tensor.data as ArrayLike<number>);
  return { data, dims: tensor.dims };
}
