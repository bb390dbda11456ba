import { createRequire } from "node:module";
import type { MimeBundle } from "@tokenscope/viz";

/** Shows a MIME bundle in the notebook the process runs in. */
export type NotebookDisplay = (bundle: MimeBundle) => void;

/** What {@link findNotebookDisplay} looks at (the process's own values by default; tests pass others). */
export interface NotebookEnvironment {
  /** `process.argv[1]`: the script the process started with (tslab's kernel: `.../tslab/bin/tslab`). */
  script?: string | undefined;
  /** `globalThis.Deno`, present in Deno and with `jupyter` under `deno jupyter`. */
  deno?: unknown;
}

interface DenoJupyter {
  jupyter?: { display?: (value: unknown, options?: { raw?: boolean }) => unknown };
}

interface TslabModule {
  display?: { html?: (html: string) => void };
}

/**
 * How to show rich output in the notebook this process is, or null outside one:
 * - Deno's Jupyter kernel (`deno jupyter`): `Deno.jupyter.display(bundle, { raw: true })`;
 * - tslab: the kernel's own `tslab` module, resolved from the kernel's script so that it is the
 *   instance that holds the live connection (a copy in the user's node_modules would not be), and
 *   its `display.html`.
 * Anything else (a terminal, a plain script, a kernel without either) gets null, and the caller
 * falls back to the terminal view.
 */
export function findNotebookDisplay(
  environment: NotebookEnvironment = {
    script: process.argv[1],
    deno: (globalThis as { Deno?: unknown }).Deno,
  },
): NotebookDisplay | null {
  let jupyter: DenoJupyter["jupyter"];
  try {
    jupyter = (environment.deno as DenoJupyter | undefined)?.jupyter;
  } catch {
    // Outside `deno jupyter`, merely reading Deno.jupyter throws.
    jupyter = undefined;
  }
  if (typeof jupyter?.display === "function") {
    const display = jupyter.display;
    return (bundle) => void display(bundle, { raw: true });
  }
  const script = environment.script;
  if (!script || !/[\\/]tslab[\\/]/.test(script)) return null;
  try {
    const tslab = createRequire(script)("tslab") as TslabModule;
    const html = tslab.display?.html;
    if (typeof html !== "function") return null;
    return (bundle) => html(bundle["text/html"] ?? "");
  } catch {
    return null;
  }
}
