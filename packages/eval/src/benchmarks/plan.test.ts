import { describe, expect, it } from "vitest";
import { analogiesPlan, attributeOptionsFor } from "./plan.ts";

describe("analogiesPlan", () => {
  it("attributes the forced target word, first step", () => {
    const plan = analogiesPlan([
      {
        id: "family/0",
        section: "family",
        pairIndex: 0,
        a: "boy",
        b: "girl",
        target: "girl",
        relative: "boy",
        prompt: "I initially invited my boy, ...",
        targetText: " girl",
        relativeSpan: [23, 26],
        distractorSpan: [0, 0],
        promptWithoutDistractor: "",
      },
    ]);
    expect(plan).toEqual({
      benchmark: "analogies",
      metrics: ["soft_ns", "soft_nc"],
      items: [
        {
          id: "family/0",
          prompt: "I initially invited my boy, ...",
          target: { kind: "forced", text: " girl" },
          steps: { kind: "first" },
        },
      ],
    });
    expect(attributeOptionsFor(plan.items[0]!)).toEqual({ target: " girl", steps: { start: 0, end: 1 } });
  });
});
