export { escapeHtml, jsonForScript } from "./escape-html.ts";
export { type MountViewOptions, mountAttributionView } from "./mount-view.ts";
export type { AttributionViewHandle } from "./render-view.ts";
export { renderAttributionView } from "./render-view.ts";
export {
  type HtmlOptions,
  jupyterDisplay,
  type MimeBundle,
  type NotebookHtmlOptions,
  standaloneCsp,
  toHtml,
  toMimeBundle,
  toNotebookHtml,
} from "./to-html.ts";
export { attributionViewCss } from "./view-css.ts";
export type {
  AttributionViewData,
  AttributionViewOptions,
  CellData,
  ColumnData,
  ContrastColumnData,
  ContrastData,
  RunInfoData,
  SequenceData,
} from "./view-data.ts";
export { attributionViewData } from "./view-data.ts";
