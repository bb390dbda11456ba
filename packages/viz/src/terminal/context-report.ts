import type { ContextAttribution, ContextCue } from "@tokenscope/core";
import { displayInline } from "../common/display-token.ts";
import { formatScore } from "../common/format-score.ts";
import { checkDigits } from "../common/options.ts";
import { type ColorOption, resolveColor } from "./color.ts";

/** Options of {@link renderContextAttribution}. */
export interface ContextReportOptions {
  /** Colours (marks bold and coloured): an ansis instance or a level; default: ansis's detection. */
  color?: ColorOption;
  /** Digits of the scores and thresholds; default 3, as Inseq's report. */
  digits?: number;
}

const caller = "renderContextAttribution";

function selectionComment(std: number, topk: number | null): string {
  const parts = [`std λ=${std.toFixed(2)}`, ...(topk !== null ? [`top ${topk}`] : [])];
  return parts.join(", ");
}

/**
 * PECoRe's report, as Inseq's `attribute-context` prints it: the settings, the inputs and output,
 * then per context-sensitive token the output with that token in {braces} and its CTI score, and
 * each context with its cues in [brackets] and their CCI scores. Every text from the model or the
 * user goes through the same escaping as the other views: nothing it holds can act on a terminal.
 */
export function renderContextAttribution(
  output: ContextAttribution,
  options: ContextReportOptions = {},
): string {
  const color = resolveColor(options.color, caller);
  const digits = checkDigits(options.digits ?? 3, caller);
  const { settings } = output;
  const score = (value: number) => formatScore(value, digits);
  const mark = (text: string) => color.bold.magenta(text);
  const label = (text: string) => color.bold(text);
  const lines = [
    `Context with ${mark("[contextual cues]")} (${selectionComment(settings.attributionStdThreshold, settings.attributionTopk)}) followed by output sentence with ${mark("{context-sensitive target spans}")} (${selectionComment(settings.contextSensitivityStdThreshold, settings.contextSensitivityTopk)})`,
    color.dim(
      `(CTI = "${displayInline(settings.contextSensitivityMetric)}", CCI = "${displayInline(settings.attributionMethod)}" w/ "${displayInline(settings.attributedFunction)}" target)`,
    ),
    "",
  ];
  if (output.inputContextText !== null) {
    lines.push(`${label("Input context:")}  ${displayInline(output.inputContextText)}`);
  }
  lines.push(`${label("Input current:")} ${displayInline(output.inputCurrentText)}`);
  if (output.outputContextText !== null) {
    lines.push(`${label("Output context:")} ${displayInline(output.outputContextText)}`);
  }
  lines.push(`${label("Output current:")} ${displayInline(output.outputCurrentText.trimStart())}`);
  if (output.cci.length === 0) {
    lines.push(
      "",
      `No context-sensitive tokens (CTI > ${score(output.cti.threshold)}): no token's ${displayInline(output.cti.metric)} reaches the threshold.`,
    );
  }
  const tokensWith = (tokens: readonly string[], marked: ReadonlyMap<number, string>) =>
    tokens
      .map((token, index) => {
        const text = displayInline(token);
        const note = marked.get(index);
        if (note === undefined) return text;
        // The token's leading space stays outside the mark, as Inseq prints it.
        const lead = text.match(/^\s*/)![0];
        return `${lead}${mark(note.replace("%", () => text.slice(lead.length)))}`;
      })
      .join("")
      .trimStart();
  // Labels padded to one width (Inseq aligns them with a tab; a tab is a control character here).
  const labelled = (text: string, rest: string, width: number) =>
    `${label(text)}${" ".repeat(Math.max(1, width - text.length))}${rest}`;
  const cueLine = (
    name: string,
    tokens: readonly string[],
    cues: readonly ContextCue[],
    threshold: number,
  ) => {
    const marked = new Map(cues.map((cue) => [cue.index, `[%](${score(cue.score)})`]));
    const text = `${name} context (CCI > ${score(threshold)}):`;
    return labelled(
      text,
      tokensWith(tokens, marked),
      `Generated output (CTI > ${score(output.cti.threshold)}): `.length,
    );
  };
  output.cci.forEach((entry, number) => {
    const marked = new Map([[entry.index, `{%}(${score(entry.ctiScore)})`]]);
    lines.push(
      "",
      `#${number + 1}.`,
      `${label(`Generated output (CTI > ${score(output.cti.threshold)}):`)} ${tokensWith(output.cti.tokens, marked)}`,
    );
    if (entry.contrastToken !== undefined) {
      lines.push(color.dim(`contextless prediction: ${displayInline(JSON.stringify(entry.contrastToken))}`));
    }
    if (output.inputContextTokens.length > 0) {
      lines.push(
        cueLine(
          "Input",
          output.inputContextTokens.map((token) => token.text),
          entry.cues.filter((cue) => cue.side === "input"),
          entry.thresholds.input,
        ),
      );
    }
    if (output.outputContextTokens.length > 0 && entry.thresholds.output !== undefined) {
      lines.push(
        cueLine(
          "Output",
          output.outputContextTokens.map((token) => token.text),
          entry.cues.filter((cue) => cue.side === "output"),
          entry.thresholds.output,
        ),
      );
    }
  });
  return `${lines.join("\n")}\n`;
}
