import { Option } from "@commander-js/extra-typings";
import type { AttributionResult, SvgKind, ViewFormat } from "tokenscope";
import type { CliIO } from "../io.ts";

/** The figures `--plot` draws (viz's `svgKinds`, listed here so that `--help` needs no import). */
export const plotKinds = ["heatmap", "text", "distribution", "bar"] as const satisfies readonly SvgKind[];

/** `--plot <kind>`, shared by `view` and `attribute`. */
export function plotOption() {
  return new Option(
    "--plot <kind>",
    "the figure of --svg/--png/--viz-path: heatmap (default), text (the prompt coloured by one step), distribution (importance distribution per generated token), bar (one step)",
  ).choices(plotKinds);
}

/** One view file to write. */
export interface ViewTarget {
  path: string;
  /** The format; default from the path's extension. */
  format?: ViewFormat;
}

/** What shapes every view file of one command. */
export interface ViewFileSettings {
  plot?: SvgKind | undefined;
  step?: number | undefined;
  digits?: number | undefined;
  sequence?: number | undefined;
  zoom?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Checks view files before any work (format from the name, a path that can be written, a --plot
 * that one of them can draw) so that a typo fails before a model loads.
 */
export async function checkViewTargets(
  targets: readonly ViewTarget[],
  plot: SvgKind | undefined,
): Promise<void> {
  const { viewFormatOfPath, TokenscopeError } = await import("tokenscope");
  const { checkWritableFile } = await import("@tokenscope/core/node");
  const formats = targets.map((target) => target.format ?? viewFormatOfPath(target.path, "tokenscope"));
  const figure = formats.some((format) => format === "svg" || format === "png");
  if (plot && plot !== "heatmap" && targets.length > 0 && !figure) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `--plot ${plot} draws an SVG or PNG figure, not ${formats.join(", ")}.`,
      {
        hint: `Write it to a .svg or .png file (e.g. ${plot}.svg), or leave --plot out for the interactive page.`,
        details: { plot, paths: targets.map((target) => target.path) },
      },
    );
  }
  for (const target of targets) await checkWritableFile(target.path);
}

/** Writes each view file (viz's `writeView`) and says so on stderr. */
export async function writeViewFiles(
  io: CliIO,
  result: AttributionResult,
  targets: readonly ViewTarget[],
  settings: ViewFileSettings,
): Promise<void> {
  const { viewFormatOfPath, writeView } = await import("tokenscope");
  for (const target of targets) {
    const format = target.format ?? viewFormatOfPath(target.path, "tokenscope");
    // --plot picks the figure of the SVG and PNG files; the page and the tables have one view each.
    const figure = format === "svg" || format === "png";
    await writeView(result, target.path, {
      format,
      ...(settings.plot && figure ? { kind: settings.plot } : {}),
      ...(settings.step !== undefined ? { step: settings.step } : {}),
      ...(settings.digits !== undefined ? { digits: settings.digits } : {}),
      ...(settings.sequence !== undefined ? { sequence: settings.sequence } : {}),
      ...(settings.zoom !== undefined ? { zoom: settings.zoom } : {}),
      ...(settings.signal ? { signal: settings.signal } : {}),
    });
    io.stderr(io.color.dim(`wrote ${target.path} (${format})\n`));
  }
}
