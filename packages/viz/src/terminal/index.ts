export type { Ansis, ColorOption } from "./color.ts";
export { type ColoredTextOptions, renderColoredText } from "./colored-text.ts";
export { type ContextReportOptions, renderContextAttribution } from "./context-report.ts";
export { type ContrastDiffOptions, renderContrastDiff } from "./contrast-diff.ts";
export { type HeatmapOptions, renderHeatmap } from "./heatmap.ts";
export { type ResultViewOptions, renderResult } from "./result-view.ts";
export { formatDuration, renderSummary, type SummaryOptions } from "./summary.ts";
