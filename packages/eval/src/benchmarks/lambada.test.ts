import type { SequenceAttribution } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { plausibility, randomPlausibility, textWords } from "../plausibility/index.ts";
import { parseAnnotatedLambada } from "./lambada.ts";
import { attributeOptionsFor, plausibilityPlan } from "./plan.ts";
import { hasData, readData } from "./test-data.test-helpers.ts";

describe.skipIf(!hasData)("annotated LAMBADA", () => {
  const items = hasData ? parseAnnotatedLambada(readData("reagent/annotated_lambada.json")) : [];

  it("has 107 records with distinct LAMBADA indices", () => {
    expect(items).toHaveLength(107);
    expect(new Set(items.map((item) => item.lambadaIndex)).size).toBe(107);
    expect(items[0]!.lambadaIndex).toBe(66);
  });

  it("splits each passage into its context and its last word; rationale spans lie in the context", () => {
    for (const item of items) {
      expect(item.prompt + item.targetText).toBe(item.text);
      expect(item.targetText).toBe(` ${item.target}`);
      expect(item.text.trimEnd().split(/\s+/).at(-1)).toBe(item.target);
      for (const [start, end] of item.rationale) {
        expect(start).toBeGreaterThanOrEqual(0);
        expect(end).toBeLessThanOrEqual(item.prompt.length);
        expect(item.prompt.slice(start, end).trim().length).toBeGreaterThan(0);
      }
    }
    expect(items[0]!.target).toBe("scratches");
    expect(items[0]!.prompt.endsWith("with only a few")).toBe(true);
  });

  it("scores a word-level oracle 1 and the random baseline below it on every record", () => {
    let randomF1 = 0;
    for (const item of items) {
      // One token per word of the context (GPT-style leading space in the span), score 1 on the
      // words the annotators marked.
      const words = textWords(item.prompt);
      const source = words.map((word, i) => ({
        id: i,
        text: word.text,
        span: [i === 0 ? 0 : word.span[0] - 1, word.span[1]] as [number, number],
        special: false,
      }));
      const marked = words.map((word) =>
        item.rationale.some(([s, e]) => s < word.span[1] && word.span[0] < e),
      );
      const sequence: SequenceAttribution = {
        sourceText: item.prompt,
        targetText: item.targetText,
        source,
        target: [{ id: 0, text: item.targetText, span: [0, item.targetText.length], special: false }],
        sourceAttributions: [marked.map((m) => (m ? 1 : 0))],
        targetAttributions: null,
        stepScores: {},
        extras: {},
        aggregation: [],
      };
      expect(plausibility(sequence, 0, item.rationale)).toEqual({ f1: 1, iou: 1, auprc: 1 });
      randomF1 += randomPlausibility(sequence, item.rationale, { seed: item.lambadaIndex }).f1;
    }
    expect(randomF1 / items.length).toBeLessThan(0.3);
  });

  it("plans the forced last word, first step, with the rationale", () => {
    const plan = plausibilityPlan(items.slice(0, 1));
    expect(plan.metrics).toEqual(["f1", "iou", "auprc"]);
    expect(plan.items[0]).toMatchObject({
      id: "lambada/66",
      target: { kind: "forced", text: " scratches" },
      steps: { kind: "first" },
    });
    expect(plan.items[0]!.rationale).toEqual(items[0]!.rationale);
    expect(attributeOptionsFor(plan.items[0]!)).toEqual({
      target: " scratches",
      steps: { start: 0, end: 1 },
    });
  });
});

describe("parseAnnotatedLambada", () => {
  it("rejects malformed records", () => {
    const line = (record: unknown) => JSON.stringify(record);
    expect(() => parseAnnotatedLambada("{")).toThrow(/line 1: not JSON/);
    expect(() => parseAnnotatedLambada(line({ lambadaIndex: 1, text: "a b", rationale: [[0, 3]] }))).toThrow(
      /rationale span 0 \(\[0,3\]\) is not inside the context/,
    );
    expect(() => parseAnnotatedLambada(line({ lambadaIndex: 1, text: "word", rationale: [[0, 1]] }))).toThrow(
      /no context/,
    );
    expect(() =>
      parseAnnotatedLambada(line({ lambadaIndex: "x", text: "a b", rationale: [[0, 1]] })),
    ).toThrow(/lambadaIndex/);
    expect(() => parseAnnotatedLambada(line({ lambadaIndex: 2, text: "a b", rationale: [] }))).toThrow(
      /empty/,
    );
    expect(
      parseAnnotatedLambada(`\n${line({ lambadaIndex: 2, text: "a b c", rationale: [[2, 3]] })}\n`),
    ).toEqual([
      {
        id: "lambada/2",
        lambadaIndex: 2,
        text: "a b c",
        rationale: [[2, 3]],
        target: "c",
        prompt: "a b",
        targetText: " c",
      },
    ]);
  });
});
