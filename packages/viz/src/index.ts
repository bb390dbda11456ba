/**
 * @packageDocumentation
 * Views of tokenscope attribution results. Terminal: heatmaps
 * ({@link renderHeatmap}), coloured text ({@link renderColoredText}) and a
 * run summary ({@link renderSummary}), all pure functions that return strings
 * for the caller to print. This entry point only exports.
 */
export * from "./common/index.ts";
export * from "./terminal/index.ts";
