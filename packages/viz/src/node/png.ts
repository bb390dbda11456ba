import { createRequire } from "node:module";
import type { Resvg as ResvgClass } from "@resvg/resvg-js";
import type { AttributionResult } from "@tokenscope/core";
import { TokenscopeError } from "@tokenscope/core";
import type { SvgOptions } from "../svg/options.ts";
import { toSvg } from "../svg/to-svg.ts";
import { bundledFonts } from "./fonts.ts";

/** Options of {@link svgToPng}. */
export interface SvgToPngOptions {
  /** Pixels per SVG px (the device pixel ratio); default 2, from 0.1 to 16. */
  zoom?: number;
}

/** Options of {@link toPng}: the figure's {@link SvgOptions} and the PNG's `zoom`. */
export interface PngOptions extends SvgOptions, SvgToPngOptions {}

/** The largest image PNG export renders, in pixels (width x height): about 100 megapixels, 400 MB of RGBA. */
export const maxPngPixels = 100_000_000;

const zoomRange = { min: 0.1, max: 16 } as const;

function checkZoom(zoom: unknown, caller: string): number {
  if (typeof zoom !== "number" || !Number.isFinite(zoom) || zoom < zoomRange.min || zoom > zoomRange.max) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${caller}: zoom must be a number from ${zoomRange.min} to ${zoomRange.max}, not ${String(zoom)}.`,
      { hint: "Pass e.g. { zoom: 2 } for a sharp image on high-density screens.", details: { zoom } },
    );
  }
  return zoom;
}

/**
 * resvg's native binding, loaded at the first PNG rather than when `tokenscope` is imported, so that
 * a platform without a prebuilt binary can still use everything else (and gets this error instead).
 */
function loadResvg(caller: string): typeof ResvgClass {
  try {
    return (createRequire(import.meta.url)("@resvg/resvg-js") as { Resvg: typeof ResvgClass }).Resvg;
  } catch (error) {
    throw new TokenscopeError(
      "IO_ERROR",
      `${caller}: PNG export needs @resvg/resvg-js's native binary for ${process.platform}-${process.arch}, which did not load.`,
      {
        hint: "Reinstall with optional dependencies enabled (npm install --include=optional), or write SVG (toSvg, --svg), which needs nothing native.",
        details: { platform: process.platform, arch: process.arch, reason: String(error) },
        cause: error,
      },
    );
  }
}

function render(svg: string, zoom: number, caller: string): Uint8Array {
  const Resvg = loadResvg(caller);
  const fonts = bundledFonts();
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: zoom },
    font: {
      loadSystemFonts: false,
      fontFiles: [fonts.mono, fonts.monoBold, fonts.sans],
      defaultFontFamily: "DejaVu Sans Mono",
    },
  });
  const width = Math.ceil(resvg.width * zoom);
  const height = Math.ceil(resvg.height * zoom);
  if (width * height > maxPngPixels) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${caller}: the image would be ${width} x ${height} pixels, above the limit of ${maxPngPixels.toLocaleString("en-US")} pixels (it is rendered in memory whole).`,
      {
        hint: "Lower zoom, draw one sequence ({ sequence: 0 }), drop the target-prefix columns ({ showTargetPrefix: false }) or attribute fewer tokens; or use the SVG, which has no such limit.",
        details: { width, height, zoom, maxPixels: maxPngPixels },
      },
    );
  }
  return new Uint8Array(resvg.render().asPng());
}

/**
 * An SVG document rendered to PNG bytes with resvg, `zoom` pixels per SVG px (default 2), using only
 * the bundled DejaVu fonts (no system fonts), so the same SVG gives the same bytes on every machine.
 * Throws `INVALID_INPUT` for a bad zoom or an image over {@link maxPngPixels}.
 */
export function svgToPng(svg: string, options: SvgToPngOptions = {}): Uint8Array {
  const zoom = checkZoom(options.zoom ?? 2, "svgToPng");
  return render(svg, zoom, "svgToPng");
}

/**
 * A result's figure (see `toSvg` for the kinds and options) as PNG bytes: the SVG rendered with
 * {@link svgToPng} at `options.zoom` (default 2). Deterministic: the same result and options give
 * byte-identical images. Throws `INVALID_INPUT` for a bad option or an image over {@link maxPngPixels}.
 */
export function toPng(result: AttributionResult, options: PngOptions = {}): Uint8Array {
  const { zoom, ...svgOptions } = options;
  const checkedZoom = checkZoom(zoom ?? 2, "toPng");
  return render(toSvg(result, svgOptions), checkedZoom, "toPng");
}
