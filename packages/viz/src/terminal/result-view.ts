import type { AttributionResult, SequenceAttribution } from "@tokenscope/core";
import type { ColorOption } from "./color.ts";
import { renderColoredText } from "./colored-text.ts";
import { renderContrastDiff } from "./contrast-diff.ts";
import { renderHeatmap } from "./heatmap.ts";
import { renderSummary } from "./summary.ts";

/** Options of {@link renderResult}. */
export interface ResultViewOptions {
  /** Colours: an ansis instance or a level (0 plain text, 3 truecolour); default: ansis's detection. */
  color?: ColorOption;
  /** Terminal width; default 80. */
  columns?: number;
  /** Digits after the decimal point of every score; default 2. */
  digits?: number;
  /** Target step whose attributions colour the prompt text; default: the last attributed step. */
  step?: number;
  /** Only this sequence (index); default every sequence. */
  sequence?: number;
}

/** The last target step with at least one attributed cell, or undefined when none was attributed. */
function lastAttributedStep(sequence: SequenceAttribution): number | undefined {
  for (let step = sequence.sourceAttributions.length - 1; step >= 0; step--) {
    const row = sequence.sourceAttributions[step]!;
    const prefixRow = sequence.targetAttributions?.[step] ?? [];
    if (row.some((cell) => cell !== null) || prefixRow.some((cell) => cell !== null)) return step;
  }
  return undefined;
}

/**
 * The whole terminal view of a result, as the CLI and `show()` print it: the run summary, then per
 * sequence its heatmap, the target set against its contrast when the run was contrastive, and its
 * prompt coloured by one step's attributions.
 */
export function renderResult(result: AttributionResult, options: ResultViewOptions = {}): string {
  const common = {
    ...(options.color !== undefined ? { color: options.color } : {}),
    ...(options.columns !== undefined ? { columns: options.columns } : {}),
    ...(options.digits !== undefined ? { digits: options.digits } : {}),
  };
  let text = renderSummary(result, {
    ...(options.color !== undefined ? { color: options.color } : {}),
    ...(options.columns !== undefined ? { columns: options.columns } : {}),
  });
  result.sequences.forEach((sequence, index) => {
    if (options.sequence !== undefined && options.sequence !== index) return;
    text += `\n${renderHeatmap(result, { ...common, sequence: index })}`;
    if (sequence.contrast) text += `\n${renderContrastDiff(result, { ...common, sequence: index })}`;
    const step = options.step ?? lastAttributedStep(sequence);
    if (step !== undefined && sequence.target.length > 0) {
      text += `\n${renderColoredText(result, { ...common, sequence: index, step })}\n`;
    }
  });
  return text;
}
