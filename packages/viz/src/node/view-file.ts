import { type AttributionResult, TokenscopeError, toMarkdown } from "@tokenscope/core";
import { writeFileAtomically } from "@tokenscope/core/node";
import { type HtmlOptions, toHtml } from "../html/to-html.ts";
import type { SvgKind } from "../svg/options.ts";
import { toSvg } from "../svg/to-svg.ts";
import { type PngOptions, toPng } from "./png.ts";

/** The files a view can be written as: the interactive page, the figures, Markdown tables. */
export const viewFormats = ["html", "svg", "png", "md"] as const;

/** One of {@link viewFormats}. */
export type ViewFormat = (typeof viewFormats)[number];

const extensions: Record<string, ViewFormat> = {
  ".html": "html",
  ".htm": "html",
  ".svg": "svg",
  ".png": "png",
  ".md": "md",
  ".markdown": "md",
};

/** Options of {@link renderView} and {@link writeView}: those of the format drawn. */
export interface ViewFileOptions extends Omit<PngOptions, "kind">, Omit<HtmlOptions, keyof PngOptions> {
  /** The figure of an SVG or PNG file (see `toSvg`); HTML and Markdown have one view each. */
  kind?: SvgKind;
}

/** The format a path's extension names: .html/.htm, .svg, .png, .md/.markdown (any case). */
export function viewFormatOfPath(path: string, caller = "writeView"): ViewFormat {
  const extension = /\.[^./\\]+$/.exec(path)?.[0]?.toLowerCase();
  const format = extension ? extensions[extension] : undefined;
  if (!format) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${caller}: cannot tell which view to write from the name ${JSON.stringify(path)}.`,
      {
        hint: "End the file name in .html (interactive page), .svg or .png (figure) or .md (Markdown tables).",
        details: { path, extensions: Object.keys(extensions) },
      },
    );
  }
  return format;
}

/**
 * A result drawn in `format`: the interactive HTML page (`toHtml`), an SVG or PNG figure (`toSvg`,
 * `toPng`; `kind` picks it) or Markdown tables (core's `toMarkdown`). A `kind` other than the
 * heatmap with HTML or Markdown is refused rather than ignored.
 */
export function renderView(
  result: AttributionResult,
  format: ViewFormat,
  options: ViewFileOptions = {},
): Uint8Array | string {
  if ((format === "html" || format === "md") && options.kind !== undefined && options.kind !== "heatmap") {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `The "${options.kind}" figure is drawn as SVG or PNG, not ${format === "html" ? "HTML" : "Markdown"}.`,
      {
        hint: "Write it to a .svg or .png file; the HTML page has the heatmap and the per-token view in one.",
        details: { kind: options.kind, format },
      },
    );
  }
  switch (format) {
    case "html":
      return toHtml(result, options);
    case "svg":
      return toSvg(result, options);
    case "png":
      return toPng(result, options);
    case "md":
      return `${toMarkdown(result, {
        ...(options.sequence !== undefined ? { sequence: options.sequence } : {}),
        ...(options.digits !== undefined ? { digits: options.digits } : {}),
      })}\n`;
  }
}

/**
 * Writes a result's view to `path` in the format its extension names ({@link viewFormatOfPath}),
 * through core's one file writer (atomic; refuses folders, devices and dangling links). Everything
 * is drawn before the file is touched, so a bad option leaves an existing file as it was.
 * @returns the format written.
 */
export async function writeView(
  result: AttributionResult,
  path: string,
  options: ViewFileOptions & { format?: ViewFormat; signal?: AbortSignal } = {},
): Promise<ViewFormat> {
  const { format: asked, signal, ...viewOptions } = options;
  const format = asked ?? viewFormatOfPath(path);
  const content = renderView(result, format, viewOptions);
  await writeFileAtomically(path, content, signal ? { signal } : {});
  return format;
}
