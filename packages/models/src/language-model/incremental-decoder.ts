import type { LanguageModel } from "@tokenscope/core";

/**
 * One sequence decoded step by step: each call appends tokens to what the decoder has seen and
 * returns the next-token logits after the last of them. Generation feeds the prompt once, then the
 * tokens it chose (forced ids wait until logits are next needed, so they go in with the following
 * choice). A decoder holds one sequence's state: make a new one per generation, and await each call
 * before the next.
 */
export interface IncrementalDecoder {
  /** Appends `ids` (at least one) and returns the logits [vocab] after the last of them. */
  append(ids: readonly number[]): Promise<ArrayLike<number>>;
}

/**
 * A decoder without a cache: every call runs the model's forward pass over the whole sequence so
 * far, computing the logits of the last position only. Works for any model with `forward`; the
 * baseline the KV cache is measured against.
 */
export function createRecomputeDecoder(model: LanguageModel): IncrementalDecoder {
  const sequence: number[] = [];
  return {
    async append(ids) {
      sequence.push(...ids);
      const { logits } = await model.forward!({
        inputs: { ids: [[...sequence]] },
        positions: [[sequence.length - 1]],
      });
      return logits.data;
    },
  };
}
