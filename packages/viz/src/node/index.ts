export { type BundledFonts, bundledFonts } from "./fonts.ts";
export { maxPngPixels, type PngOptions, type SvgToPngOptions, svgToPng, toPng } from "./png.ts";
export {
  renderView,
  type ViewFileOptions,
  type ViewFormat,
  viewFormatOfPath,
  viewFormats,
  writeView,
} from "./view-file.ts";
