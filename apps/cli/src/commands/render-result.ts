import type { AttributionResult } from "tokenscope";
import type { CliIO } from "../io.ts";

/** Options of {@link printResult}, shared by `attribute` and `view`. */
export interface PrintOptions {
  /** Target step shown as coloured text; default: the last attributed step of each sequence. */
  step?: number;
  digits?: number;
}

/** Prints a result for people (viz's `renderResult`: summary, heatmap per sequence, coloured prompt). */
export async function printResult(
  io: CliIO,
  result: AttributionResult,
  options: PrintOptions = {},
): Promise<void> {
  const { renderResult } = await import("@tokenscope/viz");
  io.stdout(
    renderResult(result, {
      color: io.color,
      columns: io.columns,
      ...(options.digits !== undefined ? { digits: options.digits } : {}),
      ...(options.step !== undefined ? { step: options.step } : {}),
    }),
  );
}
