import { describe, expect, it } from "vitest";
import { hierarchicalSearch, slidingChunks, splitChunk } from "./hierarchical.ts";
import { rankBySimilarity } from "./nearest.ts";

describe("hierarchical perturbation", () => {
  it("slides windows as the seed's get_masks (centred padding, clipped, empty dropped)", () => {
    // get_masks(6, 3, 1): starts -1..7 → [0,1], [0..2], [1..3], [2..4], [3..5], [4,5], [5]
    expect(slidingChunks(6, 3, 1)).toEqual([[0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5], [5]]);
    // get_masks(5, 2, 1): starts -1..5 → [0], [0,1], [1,2], [2,3], [3,4], [4]
    expect(slidingChunks(5, 2, 1)).toEqual([[0], [0, 1], [1, 2], [2, 3], [3, 4], [4]]);
    expect(splitChunk([3, 4, 5])).toEqual([[3], [4, 5]]);
  });
  it("splits towards the one unit that matters, with fewer perturbations than units", async () => {
    const units = 32;
    const decisive = 21;
    const perturbed: number[][] = [];
    const outcome = await hierarchicalSearch(units, 1, {}, async (chunks) => {
      perturbed.push(...chunks);
      return chunks.map((chunk) => {
        const total = chunk.includes(decisive) ? 1 : 0;
        return { total, positions: [total] };
      });
    });
    const top = outcome.unitScores.indexOf(Math.max(...outcome.unitScores));
    expect(top).toBe(decisive);
    expect(perturbed.length).toBeLessThan(units);
    expect(outcome.matrix[0]!.indexOf(Math.max(...outcome.matrix[0]!))).toBe(decisive);
    expect(outcome.stages.at(-1)!.some((chunk) => chunk.length === 1 && chunk[0] === decisive)).toBe(true);
  });
  it("ranks neighbours by cosine similarity, the token itself first", () => {
    const matrix = { data: new Float64Array([1, 0, 0.9, 0.1, 0, 1, -1, 0]), rows: 4, dims: 2 };
    expect(rankBySimilarity(0, matrix)).toEqual([0, 1, 2, 3]);
    expect(rankBySimilarity(3, matrix)).toEqual([3, 2, 1, 0]);
  });
});
