/**
 * The interactive view's stylesheet. Every rule is scoped under `.tsv` so the view can sit in any
 * page; colours of tokens and cells are set per element from the data, never here.
 */
export const attributionViewCss = `
.tsv { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; background: #fff; padding: 12px; }
.tsv * { box-sizing: border-box; }
.tsv h2 { font-size: 15px; margin: 16px 0 6px; }
.tsv-info { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
.tsv-info dt { font-weight: 600; color: #555; }
.tsv-info dd { margin: 0; overflow-wrap: anywhere; }
.tsv-picker-row { margin: 10px 0; }
.tsv-text { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; line-height: 2.4; overflow-wrap: anywhere; }
.tsv-token { display: inline-flex; flex-direction: column; align-items: center; vertical-align: top; margin: 0 1px 4px; padding: 0 2px; border: 1px solid transparent; border-radius: 3px; background: transparent; color: inherit; font: inherit; line-height: 1.3; white-space: pre; cursor: default; }
.tsv-token-text { min-width: 0.6em; }
.tsv-value { font-size: 10px; min-height: 1.3em; color: inherit; opacity: 0.9; }
.tsv-special { color: #777; font-style: italic; }
.tsv-target { cursor: pointer; border-color: #c8c8c8; }
.tsv-target:focus-visible { outline: 2px solid #1a56db; outline-offset: 1px; }
.tsv-later { color: #9a9a9a; border-style: dashed; }
.tsv-current { border: 2px solid #111; font-weight: 700; }
.tsv-break { display: block; height: 0; }
.tsv-status { min-height: 1.5em; margin: 6px 0; color: #333; }
.tsv-legend { display: flex; align-items: center; gap: 8px; margin: 6px 0 10px; font-size: 12px; }
.tsv-legend-bar { width: 220px; height: 12px; border: 1px solid #999; }
.tsv-matrix-scroll { overflow: auto; max-width: 100%; max-height: 70vh; border: 1px solid #ddd; }
.tsv-matrix { border-collapse: collapse; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.tsv-matrix caption { text-align: left; padding: 4px; font-family: system-ui, sans-serif; color: #555; }
.tsv-matrix th, .tsv-matrix td { border: 1px solid #e2e2e2; padding: 2px 5px; text-align: right; white-space: pre; }
.tsv-matrix thead th { position: sticky; top: 0; background: #f6f6f6; font-weight: 600; max-width: 10em; overflow: hidden; text-overflow: ellipsis; }
.tsv-matrix tbody th { text-align: left; background: #f6f6f6; position: sticky; left: 0; cursor: pointer; }
.tsv-matrix .tsv-group th { text-align: left; font-weight: 400; color: #555; }
.tsv-matrix .tsv-step { color: #333; background: #fafafa; }
.tsv-matrix tr.tsv-row-current th { outline: 2px solid #111; outline-offset: -2px; }
.tsv-matrix td.tsv-column-current { outline: 2px solid #111; outline-offset: -2px; }
.tsv-contrast-scroll { overflow-x: auto; max-width: 100%; margin: 6px 0 10px; }
.tsv-contrast { border-collapse: collapse; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.tsv-contrast caption { text-align: left; padding: 4px 0; font-family: system-ui, sans-serif; color: #555; }
.tsv-contrast th, .tsv-contrast td { border: 1px solid #e2e2e2; padding: 2px 5px; text-align: left; white-space: pre; }
.tsv-contrast th { background: #f6f6f6; font-weight: 600; }
.tsv-contrast td.tsv-differs { background: #fbe3f1; color: #7a0a52; font-weight: 700; border-color: #b0127a; }
.tsv-contrast td.tsv-unaligned { font-style: italic; }
.tsv-contrast .tsv-step td { font-weight: 400; text-align: right; }
.tsv-contrast td.tsv-contrast-current { outline: 2px solid #111; outline-offset: -2px; }
.tsv-contrast-source { margin: 0 0 10px; overflow-wrap: anywhere; }
.tsv-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
