import type { AttributionResult } from "tokenscope";
import type { CliIO } from "../io.ts";

/** Options of {@link printResult}, shared by `attribute` and `view`. */
export interface PrintOptions {
  /** Target step shown as coloured text; default: the last attributed step of each sequence. */
  step?: number;
  digits?: number;
}

/** Prints a result for people: summary, heatmap per sequence, and the prompt coloured for one step. */
export async function printResult(
  io: CliIO,
  result: AttributionResult,
  options: PrintOptions = {},
): Promise<void> {
  const { renderColoredText, renderHeatmap, renderSummary } = await import("@tokenscope/viz");
  const common = {
    color: io.color,
    columns: io.columns,
    ...(options.digits !== undefined ? { digits: options.digits } : {}),
  };
  io.stdout(renderSummary(result, { columns: io.columns, color: io.color }));
  result.sequences.forEach((sequence, index) => {
    io.stdout(`\n${renderHeatmap(result, { ...common, sequence: index })}`);
    const attributed = sequence.sourceAttributions
      .map((row, step) => (row.some((cell) => cell !== null) ? step : -1))
      .filter((step) => step >= 0);
    const step = options.step ?? attributed[attributed.length - 1];
    if (step !== undefined && sequence.target.length > 0) {
      io.stdout(`\n${renderColoredText(result, { ...common, sequence: index, step })}\n`);
    }
  });
}
