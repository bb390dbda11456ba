import { describe, expect, it } from "vitest";
import { wordUnits } from "../units/split-units.ts";
import { perturbPrompt } from "./apply.ts";
import { nearestPerturbation } from "./nearest.ts";

// Vocabulary: 0 "cat" (1,0), 1 "dog" (0.9,0.1), 2 "car" (0,1), 3 "sat" (-1,0.05): car is the nearest to sat.
const words = ["cat", "dog", "car", "sat"];
const space = {
  encode: async (text: string) => [words.indexOf(text)],
  decode: async (id: number) => words[id]!,
  embeddings: async () => ({ data: new Float64Array([1, 0, 0.9, 0.1, 0, 1, -1, 0.05]), rows: 4, dims: 2 }),
};

describe("nearest perturbation (the seed's NthNearestPerturbationStrategy)", () => {
  it("n = 1 is the nearest other token, -1 the farthest; leading spaces stay", async () => {
    const prompt = "cat sat";
    const units = wordUnits(prompt);
    expect(await perturbPrompt(prompt, units, [0], nearestPerturbation(1, space))).toBe("dog sat");
    expect(await perturbPrompt(prompt, units, [0], nearestPerturbation(-1, space))).toBe("sat sat");
    expect(await perturbPrompt(prompt, units, [1], nearestPerturbation(1, space))).toBe("cat car");
    expect(await perturbPrompt(prompt, units, [0, 1], nearestPerturbation(1, space))).toBe("dog car");
    expect(() => nearestPerturbation(0, space)).toThrow(/non-zero/);
  });
});
