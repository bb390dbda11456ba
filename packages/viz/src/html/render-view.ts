import { element } from "./dom-element.ts";
import { contrastPanel } from "./render-contrast.ts";
import type { AttributionViewData, CellData, SequenceData } from "./view-data.ts";

/** What a mounted view can be asked to do. */
export interface AttributionViewHandle {
  /** Shows sequence `index` (an index into the data's sequences, not the result's). */
  selectSequence(index: number): void;
  /** Highlights what generated token `step` of the shown sequence was attributed to. */
  selectStep(step: number): void;
  /** The shown sequence and step. */
  readonly current: { sequence: number; step: number };
  /** Removes the view from its container. */
  destroy(): void;
}

function paintCell(node: HTMLElement, cell: CellData | undefined): void {
  node.style.backgroundColor = cell?.background ?? "";
  node.style.color = cell?.ink ?? "";
}

function quoted(label: string): string {
  return `“${label}”`;
}

function runInfo(doc: Document, data: AttributionViewData): HTMLElement {
  const rows: [string, string][] = [
    ["Model", data.info.model],
    ["Method", data.info.method],
    ["Parameters", data.info.parameters],
    ["Attributed function", data.info.attributedFunction],
    ["Run", `${data.info.duration}, started ${data.info.startedAt}, tokenscope ${data.info.toolVersion}`],
  ];
  return element(
    doc,
    "dl",
    { className: "tsv-info" },
    rows.flatMap(([term, value]) => [element(doc, "dt", {}, [term]), element(doc, "dd", {}, [value])]),
  );
}

function legend(doc: Document, sequence: SequenceData): HTMLElement {
  const { scale } = sequence;
  const bar = element(doc, "div", {
    className: "tsv-legend-bar",
    attributes: { role: "img", "aria-label": legendText(sequence) },
  });
  bar.style.background = `linear-gradient(to right, ${scale.gradient.join(", ")})`;
  return element(doc, "div", { className: "tsv-legend" }, [
    element(doc, "span", {}, [scale.low]),
    bar,
    element(doc, "span", {}, [scale.high]),
    element(doc, "span", {}, [
      scale.kind === "diverging" ? "(blue: negative, red: positive)" : "(light: low, dark red: high)",
    ]),
  ]);
}

function legendText(sequence: SequenceData): string {
  const { scale } = sequence;
  return scale.kind === "diverging"
    ? `Colour scale: blue ${scale.low}, white ${scale.middle ?? "0"}, red ${scale.high}`
    : `Colour scale: pale yellow ${scale.low} to dark red ${scale.high}`;
}

/** The column of generated token `u` in the matrix, or -1 when the target prefix is not shown. */
function prefixColumn(sequence: SequenceData, u: number): number {
  return sequence.columns.findIndex((column) => column.group === "prefix" && column.index === u);
}

function sequenceSection(doc: Document, sequence: SequenceData, onStep: (step: number) => void) {
  const tokenNodes: { node: HTMLElement; value: HTMLElement; column: number }[] = [];
  const tokenNode = (
    tag: "span" | "button",
    token: SequenceData["source"][number],
    column: number,
    className: string,
  ) => {
    const value = element(doc, "span", { className: "tsv-value", attributes: { "aria-hidden": "true" } });
    const shown = token.text === "" ? token.label : token.text;
    const node = element(
      doc,
      tag,
      { className: `tsv-token ${className}${token.special ? " tsv-special" : ""}` },
      [element(doc, "span", { className: "tsv-token-text" }, [shown]), value],
    );
    if (column >= 0) node.dataset.column = String(column);
    tokenNodes.push({ node, value, column });
    return node;
  };
  const breakAfter = (token: SequenceData["source"][number]) =>
    token.text.endsWith("↵") ? element(doc, "span", { className: "tsv-break" }) : null;

  const sourceNodes = sequence.source.map((token, s) => {
    const column = sequence.columns.findIndex((c) => c.group === "source" && c.index === s);
    return [tokenNode("span", token, column, "tsv-source"), breakAfter(token)];
  });
  const targetButtons = sequence.target.map((token, t) => {
    const button = tokenNode("button", token, prefixColumn(sequence, t), "tsv-target") as HTMLButtonElement;
    button.type = "button";
    button.dataset.step = String(t);
    button.setAttribute("aria-label", `generated token ${t + 1}: ${quoted(token.label)}`);
    button.addEventListener("mouseenter", () => onStep(t));
    button.addEventListener("focus", () => onStep(t));
    button.addEventListener("click", () => onStep(t));
    button.addEventListener("keydown", (event) => {
      const last = sequence.target.length - 1;
      const next: Record<string, number> = {
        ArrowRight: Math.min(last, t + 1),
        ArrowDown: Math.min(last, t + 1),
        ArrowLeft: Math.max(0, t - 1),
        ArrowUp: Math.max(0, t - 1),
        Home: 0,
        End: last,
      };
      const to = next[event.key];
      if (to === undefined) return;
      event.preventDefault();
      targetButtonsRef[to]?.focus();
    });
    return [button, breakAfter(token)] as const;
  });
  const targetButtonsRef = targetButtons.map(([button]) => button);

  const text = element(
    doc,
    "div",
    {
      className: "tsv-text",
      attributes: { role: "group", "aria-label": "Prompt and generated tokens" },
    },
    [
      element(doc, "span", { className: "tsv-sr" }, ["Prompt: "]),
      ...sourceNodes.flat(),
      element(doc, "span", { className: "tsv-sr" }, ["Generated: "]),
      ...targetButtons.flat(),
    ],
  );
  const status = element(doc, "p", {
    className: "tsv-status",
    attributes: { "aria-live": "polite", role: "status" },
  });

  const stepHeaders = sequence.stepScores.map((step) =>
    element(doc, "th", { className: "tsv-step", attributes: { scope: "col" } }, [step.label]),
  );
  const groups = [
    { name: "source", span: sequence.columns.filter((c) => c.group === "source").length },
    { name: "generated (target prefix)", span: sequence.columns.filter((c) => c.group === "prefix").length },
    { name: "step scores", span: sequence.stepScores.length },
  ].filter((group) => group.span > 0);
  const matrixCells: HTMLElement[][] = [];
  const rows = sequence.target.map((token, t) => {
    const header = element(doc, "th", { attributes: { scope: "row" } }, [token.label]);
    const cells = sequence.cells[t]!.map((cell, c) => {
      const node = element(doc, "td", { attributes: { "data-column": String(c) } }, [cell.text]);
      paintCell(node, cell);
      if (cell.score !== null)
        node.title = `${token.label} ← ${sequence.columns[c]!.token.label}: ${cell.text}`;
      return node;
    });
    matrixCells.push(cells);
    const steps = sequence.stepScores.map((step) =>
      element(doc, "td", { className: "tsv-step" }, [step.texts[t] ?? ""]),
    );
    const row = element(doc, "tr", { attributes: { "data-step": String(t) } }, [header, ...cells, ...steps]);
    row.addEventListener("mouseenter", () => onStep(t));
    header.addEventListener("click", () => targetButtonsRef[t]?.focus());
    return row;
  });
  const table = element(doc, "table", { className: "tsv-matrix" }, [
    element(doc, "caption", {}, [
      "Attribution of each generated token (rows) to the source tokens and the earlier generated tokens (columns)",
    ]),
    element(doc, "thead", {}, [
      element(doc, "tr", { className: "tsv-group" }, [
        element(doc, "td"),
        ...groups.map((group) =>
          element(doc, "th", { attributes: { colspan: String(group.span), scope: "colgroup" } }, [
            group.name,
          ]),
        ),
      ]),
      element(doc, "tr", {}, [
        element(doc, "th", { attributes: { scope: "col" } }, ["generated ↓"]),
        ...sequence.columns.map((column) => {
          const th = element(doc, "th", { attributes: { scope: "col" } }, [column.token.label]);
          th.title = column.token.label;
          return th;
        }),
        ...stepHeaders,
      ]),
    ]),
    element(doc, "tbody", {}, rows),
  ]);

  const contrast = sequence.contrast ? contrastPanel(doc, sequence.contrast, onStep) : null;
  const section = element(doc, "section", { attributes: { "aria-label": `Sequence ${sequence.index}` } }, [
    element(doc, "h2", {}, [`Sequence ${sequence.index}`]),
    element(doc, "p", {}, [
      "Hover over or focus a generated token (arrow keys move between them) to see what drove it.",
    ]),
    text,
    status,
    legend(doc, sequence),
    contrast?.panel ?? null,
    element(doc, "div", { className: "tsv-matrix-scroll", attributes: { tabindex: "0" } }, [table]),
  ]);

  const highlight = (step: number) => {
    const row = sequence.cells[step] ?? [];
    for (const { node, value, column } of tokenNodes) {
      const cell = column >= 0 ? row[column] : undefined;
      paintCell(node, cell?.score === null ? undefined : cell);
      value.textContent = cell && cell.score !== null ? cell.text : "";
      if (cell && cell.score !== null) node.dataset.value = cell.text;
      else delete node.dataset.value;
    }
    targetButtons.forEach(([button], t) => {
      button.classList.toggle("tsv-current", t === step);
      button.classList.toggle("tsv-later", t > step);
      button.setAttribute("aria-pressed", String(t === step));
      button.tabIndex = t === step ? 0 : -1;
    });
    rows.forEach((tr, t) => {
      tr.classList.toggle("tsv-row-current", t === step);
    });
    contrast?.highlight(step);
    status.textContent = describeStep(sequence, step);
  };
  return { section, highlight, matrixCells };
}

function describeStep(sequence: SequenceData, step: number): string {
  const token = sequence.target[step];
  if (!token) return "";
  const row = sequence.cells[step] ?? [];
  let best = -1;
  row.forEach((cell, c) => {
    if (cell.score === null || !Number.isFinite(cell.score)) return;
    const bestScore = best >= 0 ? Math.abs(row[best]!.score!) : -1;
    if (Math.abs(cell.score) > bestScore) best = c;
  });
  const steps = sequence.stepScores.map((s) => `${s.label} ${s.texts[step] ?? ""}`).join(", ");
  const strongest =
    best >= 0
      ? `strongest attribution ${row[best]!.text} to ${quoted(sequence.columns[best]!.token.label)}`
      : "no attribution";
  return `Generated token ${step + 1} ${quoted(token.label)}: ${strongest}${steps ? `; ${steps}` : ""}.`;
}

/**
 * Draws the interactive view of `data` into `container` (plain DOM; no framework), replacing what
 * it held. Styles are not added: put {@link attributionViewCss} in the page, or use
 * `mountAttributionView`, which does.
 */
export function renderAttributionView(
  container: HTMLElement,
  data: AttributionViewData,
): AttributionViewHandle {
  const doc = container.ownerDocument;
  const root = element(doc, "div", { className: "tsv" });
  const body = element(doc, "div");
  const current = { sequence: 0, step: 0 };
  let shown: ReturnType<typeof sequenceSection> | null = null;

  const selectStep = (step: number) => {
    if (!shown) return;
    const last = (data.sequences[current.sequence]?.target.length ?? 1) - 1;
    current.step = Math.max(0, Math.min(last, step));
    shown.highlight(current.step);
  };
  const selectSequence = (index: number) => {
    const sequence = data.sequences[index];
    if (!sequence) return;
    current.sequence = index;
    shown = sequenceSection(doc, sequence, selectStep);
    body.replaceChildren(shown.section);
    selectStep(sequence.target.length - 1);
  };

  root.append(runInfo(doc, data));
  if (data.sequences.length > 1) {
    const picker = element(
      doc,
      "select",
      { className: "tsv-picker" },
      data.sequences.map((sequence, i) =>
        element(doc, "option", { attributes: { value: String(i) } }, [
          `${sequence.index}: ${sequence.source
            .map((token) => token.text)
            .join("")
            .slice(0, 60)}`,
        ]),
      ),
    );
    picker.addEventListener("change", () => selectSequence(Number(picker.value)));
    root.append(element(doc, "label", { className: "tsv-picker-row" }, ["Sequence ", picker]));
  }
  if (data.sequences.length === 0) body.append(element(doc, "p", {}, ["The result has no sequences."]));
  root.append(body);
  container.replaceChildren(root);
  selectSequence(0);

  return {
    selectSequence,
    selectStep,
    get current() {
      return { ...current };
    },
    destroy: () => root.remove(),
  };
}
