import { TokenscopeError } from "@tokenscope/core";
import type { PromptUnit } from "../units/types.ts";
import type { EmbeddingSpace, Perturbation } from "./types.ts";

/**
 * Token ids ordered by cosine similarity to token `id`, most similar first (the token itself, at
 * similarity 1, comes first), ties by id. Rows of zero norm have similarity 0.
 */
export function rankBySimilarity(
  id: number,
  matrix: { data: Float32Array | Float64Array; rows: number; dims: number },
): number[] {
  const { data, rows, dims } = matrix;
  const norm = (row: number) => {
    let sum = 0;
    for (let d = 0; d < dims; d++) sum += data[row * dims + d]! ** 2;
    return Math.sqrt(sum);
  };
  const reference = norm(id);
  const similarity = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    let dot = 0;
    for (let d = 0; d < dims; d++) dot += data[row * dims + d]! * data[id * dims + d]!;
    const denominator = norm(row) * reference;
    similarity[row] = denominator === 0 ? 0 : dot / denominator;
  }
  return Array.from({ length: rows }, (_, row) => row).sort(
    (a, b) => similarity[b]! - similarity[a]! || a - b,
  );
}

/**
 * The seed library's `NthNearestPerturbationStrategy`: every token of a unit is replaced by the
 * token `n` places down its similarity ranking in the embedding space (cosine; n = 1 the nearest
 * other token, n = -1 the farthest, -2 the second farthest). Leading spaces are stripped before
 * the lookup and kept in the prompt, as the seed does with "Ġ".
 */
export function nearestPerturbation(n: number, space: EmbeddingSpace): Perturbation {
  if (!Number.isInteger(n) || n === 0) {
    throw new TokenscopeError("INVALID_INPUT", `nearest: n must be a non-zero integer, not ${n}.`, {
      hint: "Pass n = 1 for the nearest other token, -1 for the farthest.",
      details: { n },
    });
  }
  let matrix: Promise<{ data: Float32Array | Float64Array; rows: number; dims: number }> | undefined;
  const cache = new Map<number, Promise<string>>();
  const neighbour = (id: number) => {
    let found = cache.get(id);
    if (!found) {
      found = (async () => {
        matrix ??= space.embeddings();
        const ranked = rankBySimilarity(id, await matrix);
        const position = n > 0 ? n : ranked.length + n;
        return space.decode(ranked[Math.min(ranked.length - 1, Math.max(0, position))]!);
      })();
      cache.set(id, found);
    }
    return found;
  };
  return {
    id: "nearest",
    description: `nearest (n=${n})`,
    parameters: { n },
    async replace(units: readonly PromptUnit[]) {
      const pieces: string[] = [];
      for (const [index, unit] of units.entries()) {
        // As the seed: the id of the text without its leading space ("Ġ" stripped), then the space re-added.
        const ids = await space.encode(unit.text.trim());
        const replaced = (await Promise.all(ids.map(neighbour))).map((text) => text.trim()).join("");
        // Units after the first keep their own leading space inside the chunk.
        pieces.push(index === 0 ? replaced : /^\s*/.exec(unit.text)![0] + replaced);
      }
      return pieces.join("");
    },
  };
}
