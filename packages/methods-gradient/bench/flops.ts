/**
 * Matrix-product FLOP counts of a Llama-style decoder, forward and backward with respect to the
 * activations only (no weight gradients), as the attribution bench counts them. Element-wise work
 * (norms, RoPE, softmax, SiLU) is left out: it is a few percent of the products at these sizes.
 */

/** The sizes a FLOP count needs. */
export interface FlopShape {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  vocab: number;
}

/**
 * Linear-layer FLOPs per token and layer: 2 FLOPs per multiply-add of
 *   q: hidden × heads·headDim, k and v: hidden × kvHeads·headDim each (grouped-query attention
 *   shares kvHeads), o: heads·headDim × hidden, gate and up: hidden × intermediate each,
 *   down: intermediate × hidden.
 */
export function linearFlopsPerToken(shape: FlopShape): number {
  const { hidden, heads, kvHeads, headDim, intermediate } = shape;
  const attention = hidden * heads * headDim + 2 * hidden * kvHeads * headDim + heads * headDim * hidden;
  return 2 * (attention + 3 * hidden * intermediate);
}

/**
 * Attention-core FLOPs of one layer over a causal sequence of `length` tokens: the query at
 * position i (1-based) scores i keys (q·k, headDim multiply-adds per head) and sums i values, so
 * 2 · 2 · heads · headDim · Σ i = 2 · heads · headDim · length · (length + 1). Every query head
 * does this work, whatever the number of key/value heads.
 */
export function attentionFlopsPerLayer(shape: FlopShape, length: number): number {
  return 2 * shape.heads * shape.headDim * length * (length + 1);
}

/** The lm_head product at one position: hidden × vocab multiply-adds. */
export function lmHeadFlops(shape: FlopShape): number {
  return 2 * shape.hidden * shape.vocab;
}

/**
 * Forward FLOPs of one input row of `length` tokens whose logits are computed at `logitPositions`
 * positions only (the gradient graphs gather the objective's positions before the lm_head):
 *   length · layers · linear + layers · attention(length) + logitPositions · lm_head.
 */
export function forwardFlops(shape: FlopShape, length: number, logitPositions: number): number {
  return (
    length * shape.layers * linearFlopsPerToken(shape) +
    shape.layers * attentionFlopsPerLayer(shape, length) +
    logitPositions * lmHeadFlops(shape)
  );
}

/**
 * Backward FLOPs of one seed (one vector-Jacobian product) through a row of `length` tokens, with
 * respect to the activations only: a linear product Y = X·W needs dX = dY·Wᵀ, the same FLOPs as
 * the forward product (dW is never formed); both attention products multiply two activations
 * (Q·Kᵀ, P·V), so each needs two products backward (dQ and dK, dP and dV): twice its forward
 * FLOPs; the lm_head is seeded at the one position of the seed. The dense graph runs the backward
 * over every position of the row, also those after the seed's position.
 */
export function backwardFlops(shape: FlopShape, length: number): number {
  return (
    length * shape.layers * linearFlopsPerToken(shape) +
    2 * shape.layers * attentionFlopsPerLayer(shape, length) +
    lmHeadFlops(shape)
  );
}

/**
 * FLOPs of one gradient call of a built-in objective: every distinct input row runs forward once,
 * with its logits at one position per seed (row) sharing it, and every row (seed) runs one backward.
 */
export function gradientCallFlops(shape: FlopShape, length: number, inputs: number, rows: number): number {
  return inputs * forwardFlops(shape, length, 0) + rows * (lmHeadFlops(shape) + backwardFlops(shape, length));
}
