import { TokenscopeError } from "@tokenscope/core";
import type { Measure } from "./types.ts";

type Matrix = { data: Float32Array | Float64Array; rows: number; dims: number };

function row(matrix: Matrix, id: number): Float64Array {
  const out = new Float64Array(matrix.dims);
  for (let d = 0; d < matrix.dims; d++) out[d] = matrix.data[id * matrix.dims + d]!;
  return out;
}

/** Cosine similarity; 0 when either vector is zero. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return aa === 0 || bb === 0 ? 0 : dot / Math.sqrt(aa * bb);
}

function mean(vectors: readonly Float64Array[], dims: number): Float64Array {
  const out = new Float64Array(dims);
  for (const vector of vectors) for (let d = 0; d < dims; d++) out[d]! += vector[d]! / vectors.length;
  return out;
}

/**
 * `cosine` (the seed library's cosine similarity attribution): the original and the perturbed outputs
 * are tokenized by the embedding model; per original token, the cosine distance 1 − cos to the
 * closest perturbed token (the minimum over the perturbed tokens, so it does not depend on where the
 * token moved); and, for the whole output, 1 − cos of the two outputs' mean token embeddings. An
 * empty perturbed output is at distance 1 from every token. Needs no log-probabilities.
 */
export function cosineDistance(): Measure {
  return {
    id: "cosine",
    summary: "1 − cosine similarity of each original output token to the closest perturbed output token",
    needs: { generation: true, logprobs: false, echo: false, embeddings: true },
    async score({ original, perturbed, embedder }) {
      if (!embedder) {
        throw new TokenscopeError("INVALID_INPUT", "The cosine strategy needs token embeddings.", {
          hint: "Give a model to take them from (any model reference loadModel reads, e.g. --embeddings ../shared/models/stories260K).",
        });
      }
      const matrix = await embedder.embeddings();
      const originalTokens = await embedder.tokenize(original.text);
      const perturbedTokens = await embedder.tokenize(perturbed.text);
      const originalVectors = originalTokens.map((token) => row(matrix, token.id));
      const perturbedVectors = perturbedTokens.map((token) => row(matrix, token.id));
      const values = originalVectors.map((vector) =>
        perturbedVectors.length === 0
          ? 1
          : Math.min(...perturbedVectors.map((other) => 1 - cosineSimilarity(vector, other))),
      );
      const sentence =
        originalVectors.length === 0 || perturbedVectors.length === 0
          ? originalVectors.length === perturbedVectors.length
            ? 0
            : 1
          : 1 - cosineSimilarity(mean(originalVectors, matrix.dims), mean(perturbedVectors, matrix.dims));
      return {
        tokens: originalTokens.map((token) => ({
          text: original.text.slice(...token.span),
          span: token.span,
        })),
        values,
        sentence,
      };
    },
  };
}
