import { type AttributionResult, terminalSafe } from "@tokenscope/core";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { renderResult } from "./result-view.ts";

/** Everything a terminal acts on, plus line breaks: a label from a result must not break its line. */
const attack = "\r\u001b[2J\n\u001b]52;c;aGk=\u0007\t\u009b\u202e\u007f\u001b[8m";

/**
 * A result whose every model- or result-supplied string (model, revision, architecture, device,
 * runtime, method and its parameters, attributed function, aggregation, step-score id, tokens,
 * start time, version, contrast tokens and source) carries `extra`.
 */
function resultWith(extra: string, tokenExtra: string): AttributionResult {
  const s = (text: string) => `${text}${extra}`;
  const sequence = makeSequence({
    source: [`a${tokenExtra}`, "b"],
    target: [`c${tokenExtra}`, "d"],
    stepScores: { [s("score")]: [0.5, 0.25] },
    aggregation: [{ id: s("l2"), parameters: { [s("key")]: s("value") } }],
  });
  // A contrastive run: the contrast's tokens and source text are strings from outside too.
  sequence.contrast = {
    sourceText: s("contrast prompt"),
    targetText: `e${tokenExtra}d`,
    target: [
      { id: 7, text: `e${tokenExtra}`, span: null, special: false },
      { id: 103, text: "d", span: null, special: false },
    ],
    alignment: [0, 1],
  };
  return makeResult([sequence], {
    info: {
      model: { id: s("org/model"), revision: s("rev"), architecture: s("llama") },
      execution: { device: s("cpu"), runtime: s("onnxruntime-node"), threads: 2, notes: [] },
      method: { id: s("saliency"), parameters: { [s("n")]: s("zeros"), nested: { [s("k")]: [s("v")] } } },
      attributedFunction: { id: s("probability"), parameters: { [s("p")]: s("q") } },
      toolVersion: s("0.0.0"),
      startedAt: s("2025-01-01"),
    },
  });
}

describe("renderResult on a hostile result", () => {
  // Token texts keep their line breaks in the coloured prompt on purpose; they get the rest.
  const hostile = resultWith(attack, "\u001b[2J\u001b]52;c;aGk=\u0007\u009b\u202e\u007f");
  const benign = resultWith("", "");

  it("leaves no character a terminal acts on, in plain and colour mode", () => {
    const plain = renderResult(hostile, { color: 0, columns: Number.POSITIVE_INFINITY });
    expect(terminalSafe(plain)).toBe(plain);
    expect(plain).not.toContain("\u001b");
    const coloured = renderResult(hostile, { color: 3, columns: Number.POSITIVE_INFINITY });
    // Only the view's own colour sequences may remain.
    expect(terminalSafe(coloured, { keepColours: true })).toBe(coloured);
    expect(coloured).not.toContain("\u001b[8m");
    expect(coloured).not.toContain("\u001b[2J");
    expect(coloured).not.toContain("\u001b]");
  });

  it("breaks no line: the hostile view has the lines of the plain one, each a visible stand-in", () => {
    const options = { color: 0, columns: Number.POSITIVE_INFINITY } as const;
    const lines = renderResult(hostile, options).split("\n");
    expect(lines).toHaveLength(renderResult(benign, options).split("\n").length);
    expect(lines[0]).toContain("org/model↵␛[2J↵␛]52;c;aGk=␇⇥��␡␛[8m");
    expect(lines.some((line) => line.includes("score↵␛[2J"))).toBe(true);
    expect(lines.some((line) => line.startsWith('contrast source: "contrast prompt↵␛[2J↵'))).toBe(true);
  });
});
