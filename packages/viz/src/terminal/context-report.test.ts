import { stripVTControlCharacters } from "node:util";
import type { ContextAttribution, Token } from "@tokenscope/core";
import { terminalSafe } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { renderContextAttribution } from "./context-report.ts";

const token = (text: string, id = 1): Token => ({ id, text, span: null, special: false });

function output(overrides: Partial<ContextAttribution> = {}): ContextAttribution {
  const result = { schemaVersion: 3 as const, info: {} as never, sequences: [] };
  return {
    inputContextText: "George was sick yesterday.",
    inputCurrentText: "His colleagues asked him to come",
    outputContextText: null,
    outputCurrentText: " to the hospital.",
    contextualInput: "George was sick yesterday. His colleagues asked him to come",
    contextlessInput: "His colleagues asked him to come",
    inputContextTokens: ["George", " was", " sick", " yesterday", "."].map((text) => token(text)),
    outputContextTokens: [],
    cti: {
      metric: "kl_divergence",
      ids: [1, 2, 3, 4],
      tokens: [" to", " the", " hospital", "."],
      scores: [0.1, 0.2, 0.548, 0.05],
      threshold: 0.428,
    },
    selected: [2],
    cci: [
      {
        index: 2,
        token: " hospital",
        ctiScore: 0.548,
        contrastToken: " park",
        result,
        inputContextScores: [0.1, 0.05, 0.516, 0.2, 0.1],
        cues: [{ side: "input", index: 2, token: " sick", score: 0.516 }],
        thresholds: { input: 0.46 },
      },
    ],
    settings: {
      contextSensitivityMetric: "kl_divergence",
      contextSensitivityStdThreshold: 1,
      contextSensitivityTopk: null,
      attributionMethod: "saliency",
      attributedFunction: "contrast_prob_diff",
      attributionStdThreshold: 1,
      attributionTopk: null,
      inputTemplate: "{context} {current}",
      outputTemplate: "{current}",
      contextlessInputCurrentText: "{current}",
    },
    ...overrides,
  };
}

describe("renderContextAttribution", () => {
  it("prints Inseq's report: the settings, the texts, the marked token and the bracketed cues", () => {
    expect(renderContextAttribution(output(), { color: 0 })).toBe(
      [
        "Context with [contextual cues] (std λ=1.00) followed by output sentence with {context-sensitive target spans} (std λ=1.00)",
        '(CTI = "kl_divergence", CCI = "saliency" w/ "contrast_prob_diff" target)',
        "",
        "Input context:  George was sick yesterday.",
        "Input current: His colleagues asked him to come",
        "Output current: to the hospital.",
        "",
        "#1.",
        "Generated output (CTI > 0.428): to the {hospital}(0.548).",
        'contextless prediction: " park"',
        "Input context (CCI > 0.460):    George was [sick](0.516) yesterday.",
        "",
      ].join("\n"),
    );
  });

  it("says when no token is context-sensitive, shows top k, and never writes raw control characters", () => {
    const none = renderContextAttribution(output({ cci: [], selected: [] }), { color: 0 });
    expect(none).toContain("No context-sensitive tokens (CTI > 0.428)");
    const hostile = output({
      inputContextText: "evil \u001b[2J\u0007 text",
      cti: { ...output().cti, tokens: [" to", "\u001b]52;c;aGk=\u0007", " hospital", "\r."] },
      settings: { ...output().settings, attributionTopk: 2 },
    });
    const text = renderContextAttribution(hostile, { color: 0 });
    expect(text).toContain("(std λ=1.00, top 2)");
    const controls = [...text].filter((char) => {
      const code = char.codePointAt(0)!;
      return (code < 0x20 && char !== "\n") || code === 0x7f;
    });
    expect(controls).toEqual([]);
    expect(terminalSafe(text)).toBe(text);
    // Colour output: the marks carry ANSI from ansis only.
    const coloured = renderContextAttribution(output(), { color: 3 });
    expect(coloured).toContain("\u001b[");
    expect(stripVTControlCharacters(coloured)).toContain("{hospital}(0.548)");
  });
});
