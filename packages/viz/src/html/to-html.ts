import type { AttributionResult } from "@tokenscope/core";
import { escapeHtml, jsonForScript } from "./escape-html.ts";
import { attributionViewCssHash, standaloneScript, standaloneScriptHash } from "./standalone-script.gen.ts";
import { attributionViewCss } from "./view-css.ts";
import { type AttributionViewOptions, attributionViewData } from "./view-data.ts";

/** Options of {@link toHtml}. */
export interface HtmlOptions extends AttributionViewOptions {
  /** The page title; default "tokenscope: <model> · <method>". */
  title?: string;
}

/**
 * The Content-Security-Policy of a standalone page: nothing may load or connect (`default-src
 * 'none'`), and only the page's own inline script and stylesheet run, named by their hashes.
 * Colours are set from script through the CSSOM, which `style-src` does not govern.
 */
export const standaloneCsp = [
  "default-src 'none'",
  `script-src ${standaloneScriptHash}`,
  `style-src ${attributionViewCssHash}`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/**
 * A self-contained interactive HTML page of `result`: one file with its own script and style, no
 * network, no external script or font, under a strict Content-Security-Policy
 * ({@link standaloneCsp}). Every string from the result is data: it reaches the page as escaped
 * JSON and enters the document only as text nodes.
 *
 * @example
 * ```ts
 * const page = toHtml(result); // one string: write it to a file, serve it, or put it in a frame's srcdoc
 * ```
 */
export function toHtml(result: AttributionResult, options: HtmlOptions = {}): string {
  const data = attributionViewData(result, options);
  const title = options.title ?? `tokenscope: ${data.info.model} · ${data.info.method}`;
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(standaloneCsp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${attributionViewCss}</style>`,
    "</head>",
    "<body>",
    '<div id="tokenscope-view"><noscript>This attribution view needs JavaScript.</noscript></div>',
    `<script type="application/json" id="tokenscope-data">${jsonForScript(data)}</script>`,
    `<script>${standaloneScript}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** Options of {@link toNotebookHtml}. */
export interface NotebookHtmlOptions extends HtmlOptions {
  /** Height of the frame in CSS pixels; default from the number of tokens (300 to 900). */
  height?: number;
}

/**
 * The interactive view for a notebook output cell: the standalone page ({@link toHtml}) inside a
 * sandboxed `<iframe srcdoc>` (scripts allowed, same-origin not), so the page's CSP holds and
 * nothing in the result can reach the notebook around it.
 */
export function toNotebookHtml(result: AttributionResult, options: NotebookHtmlOptions = {}): string {
  const tokens = result.sequences.reduce(
    (most, sequence) => Math.max(most, sequence.source.length + sequence.target.length),
    0,
  );
  const targets = result.sequences.reduce((most, sequence) => Math.max(most, sequence.target.length), 0);
  const height =
    options.height ?? Math.min(900, Math.max(300, 260 + Math.ceil(tokens / 12) * 40 + targets * 24));
  return `<iframe sandbox="allow-scripts" title="tokenscope attribution" style="width: 100%; height: ${Math.round(height)}px; border: 0" srcdoc="${escapeHtml(toHtml(result, options))}"></iframe>`;
}

/**
 * The key of a value's rich display in Deno's Jupyter kernel (`Deno.jupyter.$display`, which is
 * `Symbol.for("Jupyter.display")`): a method returning a {@link MimeBundle}.
 */
export const jupyterDisplay: unique symbol = Symbol.for("Jupyter.display") as never;

/** A Jupyter MIME bundle: what a kernel shows for a value. */
export type MimeBundle = Record<string, string>;

/**
 * The MIME bundle of a result for notebooks: `text/html` (the sandboxed interactive view, see
 * {@link toNotebookHtml}) and `text/plain` (a one-line summary for front ends without HTML). This is
 * what `[Symbol.for("Jupyter.display")]()` returns in Deno's Jupyter kernel.
 */
export function toMimeBundle(result: AttributionResult, options: NotebookHtmlOptions = {}): MimeBundle {
  const data = attributionViewData(result, options);
  const tokens = data.sequences.map((sequence) => `${sequence.source.length}→${sequence.target.length}`);
  return {
    "text/html": toNotebookHtml(result, options),
    "text/plain": `tokenscope attribution: ${data.info.model} · ${data.info.method} · ${data.sequences.length} sequence(s) (${tokens.join(", ")} tokens)`,
  };
}
