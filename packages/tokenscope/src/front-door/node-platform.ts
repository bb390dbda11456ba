import { saveResult } from "@tokenscope/core/node";
import { renderResult, toMimeBundle } from "@tokenscope/viz";
import type { OutputPlatform } from "./attribution-output.ts";
import { findNotebookDisplay } from "./notebook-display.ts";

/**
 * Node: `show()` displays the interactive view in a notebook (Deno's Jupyter kernel, tslab), else
 * writes the terminal view to stdout (colours by ansis's detection: TTY, NO_COLOR, FORCE_COLOR; the
 * width of the terminal); `save()` writes files through core's `saveResult`.
 */
export const nodePlatform: OutputPlatform = {
  show(result, options) {
    const display = findNotebookDisplay();
    if (display) {
      const bundle = toMimeBundle(result, options);
      display(bundle);
      return bundle["text/plain"] ?? "";
    }
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
