import { element } from "./dom-element.ts";
import type { ContrastColumnData, ContrastData } from "./view-data.ts";

function quoted(label: string): string {
  return `“${label}”`;
}

function describeColumn(column: ContrastColumnData): string {
  const contrast = column.contrast ? quoted(column.contrast.label) : "no contrast token";
  if (!column.target)
    return `contrast token ${quoted(column.contrast?.label ?? "")}: no target token faces it`;
  return `${quoted(column.target.label)} ↔ ${contrast}${column.differs ? " (differs)" : ""}`;
}

/**
 * The diff of a contrastive run's target and its contrast: a table with rows target, contrast and
 * (when recorded) the attributed function's values, one column per target token; differing columns
 * carry `tsv-differs` (coloured by the stylesheet, and said in words for screen readers), a contrast
 * token no target token faces has "·" as its target. Hovering a target token's column selects its
 * step. Text enters only through text nodes.
 */
export function contrastPanel(doc: Document, contrast: ContrastData, onStep: (step: number) => void) {
  const cellsByStep = new Map<number, HTMLElement[]>();
  const cell = (column: ContrastColumnData, text: string, extra: (Node | string | null)[] = []) => {
    const classes = [column.differs ? "tsv-differs" : "", column.step === null ? "tsv-unaligned" : ""].filter(
      Boolean,
    );
    const node = element(doc, "td", classes.length ? { className: classes.join(" ") } : {}, [text, ...extra]);
    node.title = describeColumn(column);
    if (column.step !== null) {
      const step = column.step;
      node.dataset.step = String(step);
      node.addEventListener("mouseenter", () => onStep(step));
      cellsByStep.set(step, [...(cellsByStep.get(step) ?? []), node]);
    }
    return node;
  };
  const differsNote = (column: ContrastColumnData) =>
    column.differs ? element(doc, "span", { className: "tsv-sr" }, [" (differs)"]) : null;
  const header = (text: string) => element(doc, "th", { attributes: { scope: "row" } }, [text]);
  const rows = [
    element(doc, "tr", { className: "tsv-contrast-target" }, [
      header("target"),
      ...contrast.columns.map((column) => cell(column, column.target?.label ?? "·")),
    ]),
    element(doc, "tr", { className: "tsv-contrast-contrast" }, [
      header("contrast"),
      ...contrast.columns.map((column) => cell(column, column.contrast?.label ?? "?", [differsNote(column)])),
    ]),
  ];
  if (contrast.scoreLabel !== null) {
    rows.push(
      element(doc, "tr", { className: "tsv-step" }, [
        header(contrast.scoreLabel),
        ...contrast.columns.map((column) => cell(column, column.scoreText)),
      ]),
    );
  }
  const table = element(doc, "table", { className: "tsv-contrast" }, [
    element(doc, "caption", {}, ["Contrast (target ↔ contrast, differing tokens marked)"]),
    element(doc, "tbody", {}, rows),
  ]);
  const panel = element(doc, "div", { className: "tsv-contrast-panel" }, [
    element(doc, "div", { className: "tsv-contrast-scroll", attributes: { tabindex: "0" } }, [table]),
    contrast.sourceText !== null
      ? element(doc, "p", { className: "tsv-contrast-source" }, [
          "Contrast source: ",
          quoted(contrast.sourceText),
        ])
      : null,
  ]);
  const highlight = (step: number) => {
    for (const [columnStep, nodes] of cellsByStep) {
      for (const node of nodes) node.classList.toggle("tsv-contrast-current", columnStep === step);
    }
  };
  return { panel, highlight };
}
