import { describe, expect, it } from "vitest";
import { perturbPrompt } from "../perturbation/apply.ts";
import { fixedPerturbation } from "../perturbation/fixed.ts";
import { sentenceUnits, splitUnits, tokenUnits, wordUnits } from "./split-units.ts";

describe("units", () => {
  it("words own their leading space; punctuation is a unit; whitespace never is", () => {
    const units = wordUnits("The clock shows 9:47 PM. How many minutes?");
    expect(units.map((u) => u.text)).toEqual([
      "The",
      " clock",
      " shows",
      " 9:47",
      " PM",
      ".",
      " How",
      " many",
      " minutes",
      "?",
    ]);
    for (const unit of units)
      expect("The clock shows 9:47 PM. How many minutes?".slice(...unit.span)).toBe(unit.text);
  });
  it("sentences from Intl.Segmenter, and tokens from the tokenizer's spans without special tokens", async () => {
    expect(sentenceUnits("One. Two three!  Four?").map((u) => u.text)).toEqual([
      "One.",
      " Two three!",
      "  Four?",
    ]);
    const tokenizer = {
      tokenize: async () => ({
        tokens: [
          { id: 1, text: "", span: null, special: true },
          { id: 10, text: "Once", span: [0, 4] as [number, number], special: false },
          { id: 11, text: " upon", span: [4, 9] as [number, number], special: false },
        ],
      }),
    };
    expect(await tokenUnits("Once upon", tokenizer)).toEqual([
      { text: "Once", span: [0, 4], id: 10 },
      { text: " upon", span: [4, 9], id: 11 },
    ]);
    await expect(splitUnits("Once", "token")).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
  it("perturbing removes or replaces a unit (or a chunk) and trims, as the seed", async () => {
    const prompt = "The capital of France is";
    const units = wordUnits(prompt);
    expect(await perturbPrompt(prompt, units, [0], fixedPerturbation(""))).toBe("capital of France is");
    expect(await perturbPrompt(prompt, units, [3], fixedPerturbation(""))).toBe("The capital of is");
    expect(await perturbPrompt(prompt, units, [3], fixedPerturbation("[MASK]"))).toBe(
      "The capital of [MASK] is",
    );
    expect(await perturbPrompt(prompt, units, [2, 1], fixedPerturbation("X"))).toBe("The X France is");
  });
});
