export type { ColorScale, Rgb, ScaleKind } from "./color-scale.ts";
export { contrastingText, makeColorScale, mapColor, relativeLuminance } from "./color-scale.ts";
export type { ContrastColumnView, ContrastTokenView, ContrastView } from "./contrast-view.ts";
export { contrastView } from "./contrast-view.ts";
export { displayInline, displayToken, escapeControlCharacters, tokenLabel } from "./display-token.ts";
export { formatScore } from "./format-score.ts";
export type {
  MatrixColumnView,
  SequenceView,
  SequenceViewOptions,
  StepScoreView,
  TokenView,
} from "./sequence-view.ts";
export { columnToken, sequenceView, sequenceViews } from "./sequence-view.ts";
export { displayWidth, truncateToWidth } from "./text-width.ts";
