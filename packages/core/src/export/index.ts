export {
  type InseqSequenceLayout,
  type InseqToken,
  inseqLayout,
  inseqSequenceLayout,
} from "./inseq/layout.ts";
export type { InseqPrecision } from "./inseq/safetensor-blob.ts";
export { type ScoresDict, type ScoresKey, scoresKey, toScoresDicts } from "./inseq/scores-dicts.ts";
export { type InseqJsonOptions, pythonJson, toInseqJson } from "./inseq/to-inseq-json.ts";
export { csvField, toCsv } from "./to-csv.ts";
export { escapeMarkdownToken, type ToMarkdownOptions, toMarkdown } from "./to-markdown.ts";
export { type AttributionRow, attributionRowColumns, stepScoreColumn, toRows } from "./to-rows.ts";
