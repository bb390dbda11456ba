export type { Ansis, ColorOption } from "./color.ts";
export type { ColorScale, Rgb, ScaleKind } from "./color-scale.ts";
export { contrastingText, makeColorScale, mapColor } from "./color-scale.ts";
export { type ColoredTextOptions, renderColoredText } from "./colored-text.ts";
export { displayToken, escapeControlCharacters } from "./display-token.ts";
export { formatScore } from "./format-score.ts";
export { type HeatmapOptions, renderHeatmap } from "./heatmap.ts";
export { formatDuration, renderSummary, type SummaryOptions } from "./summary.ts";
export { displayWidth, truncateToWidth } from "./text-width.ts";
