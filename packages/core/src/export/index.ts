export { csvField, toCsv } from "./to-csv.ts";
export { escapeMarkdownToken, type ToMarkdownOptions, toMarkdown } from "./to-markdown.ts";
export { type AttributionRow, attributionRowColumns, stepScoreColumn, toRows } from "./to-rows.ts";
