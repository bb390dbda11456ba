/**
 * @packageDocumentation
 * Views of tokenscope attribution results. Terminal: heatmaps
 * ({@link renderHeatmap}), coloured text ({@link renderColoredText}), a
 * contrastive run's target ↔ contrast diff ({@link renderContrastDiff}) and a
 * run summary ({@link renderSummary}), all pure functions that return strings
 * for the caller to print. Browsers and pages: a self-contained interactive
 * HTML page ({@link toHtml}), the same view as a plain-DOM component
 * ({@link mountAttributionView}) and a notebook MIME bundle
 * ({@link toMimeBundle}). Figures: a result as a standalone SVG
 * ({@link toSvg}: heatmap, coloured text, importance distribution, bar
 * chart); PNG export is Node-only, in `@tokenscope/viz/node`. This entry
 * point only exports and is browser-safe.
 */
export * from "./common/index.ts";
export * from "./html/index.ts";
export * from "./svg/index.ts";
export * from "./terminal/index.ts";
