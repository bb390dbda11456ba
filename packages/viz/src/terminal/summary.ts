import type { AggregationRecord, AttributionResult } from "@tokenscope/core";
import { displayInline } from "../common/display-token.ts";
import { checkColumns, defaultColumns } from "../common/options.ts";
import { truncateToWidth } from "../common/text-width.ts";
import { type ColorOption, resolveColor } from "./color.ts";

/** Options of {@link renderSummary}. */
export interface SummaryOptions {
  /** Colours (labels dimmed): an ansis instance or a level; default: ansis's detection. */
  color?: ColorOption;
  /** Terminal width: longer lines are cut with "…". Default 80; Infinity for no limit. */
  columns?: number;
}

/** The longest a parameter value may print before it is cut, so one huge baseline does not flood the header. */
const maxValueWidth = 40;

function formatValue(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return truncateToWidth(text, maxValueWidth);
}

/** `id` followed by its parameters as `(key=value, ...)`, or the bare id when there are none. */
export function formatWithParameters(id: string, parameters: Record<string, unknown>): string {
  const entries = Object.entries(parameters);
  if (entries.length === 0) return id;
  return `${id}(${entries.map(([key, value]) => `${key}=${formatValue(value)}`).join(", ")})`;
}

/** A duration for people: "850 ms", "2.35 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(durationMs: number): string {
  if (!Number.isFinite(durationMs) || durationMs < 0) return "unknown";
  if (durationMs < 1000) return `${Math.round(durationMs)} ms`;
  if (durationMs < 60_000) return `${(durationMs / 1000).toFixed(2)} s`;
  const seconds = Math.round(durationMs / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

function aggregationChain(records: readonly AggregationRecord[]): string {
  return records.length === 0
    ? "none"
    : records.map((record) => formatWithParameters(record.id, record.parameters)).join(" → ");
}

/** The aggregation line: one chain when every sequence had the same, else each distinct chain. */
function aggregationSummary(result: AttributionResult): string {
  const chains = [...new Set(result.sequences.map((sequence) => aggregationChain(sequence.aggregation)))];
  if (chains.length <= 1) return chains[0] ?? "none";
  return `differs by sequence: ${chains.join(" | ")}`;
}

/** Where the run computed: device and runtime, and the CUDA (or other) request it could not meet. */
function executionSummary(execution: NonNullable<AttributionResult["info"]["execution"]>): string {
  const threads = execution.threads ? `, ${execution.threads} threads` : "";
  const requested = execution.requestedDevice ? ` (${execution.requestedDevice} requested, unavailable)` : "";
  return `${execution.device} · ${execution.runtime}${threads}${requested}`;
}

/**
 * A short header describing a result: the model (id, revision,
 * architecture), where it ran (when the result says), the method and its parameters, the attributed function, the
 * aggregation applied, how many sequences and tokens, and how long the run
 * took. One "label  value" line each, cut to `columns`; every text from the
 * result has its control characters made visible. Ends in a newline.
 */
export function renderSummary(result: AttributionResult, options: SummaryOptions = {}): string {
  const color = resolveColor(options.color, "renderSummary");
  const columns = checkColumns(options.columns ?? defaultColumns, "renderSummary");
  const { info } = result;
  const model = [
    info.model.id,
    info.model.revision ? `revision ${info.model.revision}` : "",
    info.model.architecture ?? "",
  ]
    .filter(Boolean)
    .join(" · ");
  const sources = result.sequences.reduce((sum, sequence) => sum + sequence.source.length, 0);
  const targets = result.sequences.reduce((sum, sequence) => sum + sequence.target.length, 0);
  const rows: [string, string][] = [
    ["model", model],
    ...(info.execution ? ([["device", executionSummary(info.execution)]] as [string, string][]) : []),
    ["method", formatWithParameters(info.method.id, info.method.parameters)],
    [
      "attributed",
      info.attributedFunction
        ? formatWithParameters(info.attributedFunction.id, info.attributedFunction.parameters)
        : "none",
    ],
    ["aggregation", aggregationSummary(result)],
    ["sequences", `${result.sequences.length} (${sources} source, ${targets} generated tokens)`],
    [
      "duration",
      `${formatDuration(info.durationMs)} · started ${info.startedAt} · tokenscope ${info.toolVersion}`,
    ],
  ];
  const labelWidth = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines = rows.map(([label, value]) => {
    const room = columns - labelWidth;
    if (room < 1) return truncateToWidth(`${label} ${displayInline(value)}`, columns);
    const padding = " ".repeat(labelWidth - label.length);
    return `${color.dim(label)}${padding}${truncateToWidth(displayInline(value), room)}`;
  });
  return `${lines.join("\n")}\n`;
}
