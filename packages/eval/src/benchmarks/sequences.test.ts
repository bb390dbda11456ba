import { describe, expect, it } from "vitest";
import { attributeOptionsFor, selectedSteps, sequencesPlan } from "./plan.ts";
import { parsePromptLines, strideSteps } from "./sequences.ts";
import { hasData, readData } from "./test-data.test-helpers.ts";

describe.skipIf(!hasData)("ReAGent's sequence-level prompt files", () => {
  it("has 22 wikitext and 20 tellmewhy prompts, kept as written", () => {
    const wikitext = parsePromptLines(readData("reagent/wikitext.txt"));
    expect(wikitext).toHaveLength(22);
    expect(wikitext[0]).toBe(
      "Bowman Creek is a 26-mile (42 km) long tributary of the Susquehanna River in Luzerne County and Wyoming County ",
    );
    expect(parsePromptLines(readData("reagent/tellmewhy2.txt"))).toHaveLength(20);
  });
});

describe("strideSteps and the sequences plan", () => {
  it("picks 0, stride, 2·stride, ... below the generated count", () => {
    expect(strideSteps(10, 2)).toEqual([0, 2, 4, 6, 8]);
    expect(strideSteps(9, 3)).toEqual([0, 3, 6]);
    expect(strideSteps(3)).toEqual([0, 1, 2]);
    expect(strideSteps(0, 2)).toEqual([]);
    expect(() => strideSteps(5, 0)).toThrow(/stride must be a positive integer/);
  });

  it("skips blank lines and accepts CRLF", () => {
    expect(parsePromptLines("a \r\n\r\nb\n")).toEqual(["a ", "b"]);
  });

  it("plans greedy generation, all steps attributed, every stride-th evaluated", () => {
    const plan = sequencesPlan(["one", "two"], { stride: 2, idPrefix: "wikitext" });
    expect(plan.benchmark).toBe("sequences");
    expect(plan.metrics).toEqual(["soft_ns", "soft_nc"]);
    expect(plan.items[1]).toEqual({
      id: "wikitext/1",
      prompt: "two",
      target: { kind: "generate", maxNewTokens: 10 },
      steps: { kind: "stride", stride: 2 },
    });
    expect(attributeOptionsFor(plan.items[1]!)).toEqual({ generation: { maxNewTokens: 10 } });
    expect(selectedSteps(plan.items[1]!.steps, 7)).toEqual([0, 2, 4, 6]);
    expect(sequencesPlan(["x"]).items[0]!.steps).toEqual({ kind: "all" });
    expect(selectedSteps({ kind: "all" }, 3)).toEqual([0, 1, 2]);
    expect(selectedSteps({ kind: "first" }, 0)).toEqual([]);
    expect(() => sequencesPlan(["x"], { maxNewTokens: 0 })).toThrow(
      /maxNewTokens must be a positive integer/,
    );
  });
});
