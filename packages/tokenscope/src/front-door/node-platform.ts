import { saveResult } from "@tokenscope/core/node";
import { renderResult } from "@tokenscope/viz";
import type { OutputPlatform } from "./attribution-output.ts";

/**
 * Node: `show()` writes the terminal view to stdout (colours by ansis's detection: TTY, NO_COLOR,
 * FORCE_COLOR; the width of the terminal), `save()` writes files through core's `saveResult`.
 */
export const nodePlatform: OutputPlatform = {
  show(result, options) {
    const text = renderResult(result, { columns: process.stdout.columns || 80, ...options });
    process.stdout.write(text);
    return text;
  },
  save: (result, path, options) =>
    saveResult(result, path, {
      ...(options.compress !== undefined ? { gzip: options.compress } : {}),
      ...(options.splitSequences ? { perSequence: true } : {}),
      ...(options.precision ? { precision: options.precision } : {}),
      ...(options.indent !== undefined ? { indent: options.indent } : {}),
    }),
};
