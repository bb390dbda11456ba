import { TokenscopeError } from "@tokenscope/core";
import { differenceWithInterval, type MeanEstimate, meanWithInterval, NORMAL_Z_95 } from "./stats.ts";

/** Prefix of a metric's random-baseline column (`rand_soft_ns` beside `soft_ns`), as ReAGent's tables. */
export const RANDOM_PREFIX = "rand_";

/** One method's per-item values: what {@link benchmarkTable} summarises. */
export interface BenchmarkRow {
  method: string;
  /** Per-item values by metric id, baselines under `rand_<id>`, aligned by item when they can be. */
  metrics: Record<string, number[]>;
  /** Seconds each item took (attribution and evaluation). */
  seconds: number[];
}

/** Options of {@link benchmarkTable}. */
export interface BenchmarkTableOptions {
  /** Metrics to show, in order (default: every non-`rand_` metric in first-seen order). */
  metrics?: readonly string[];
  /** Metrics where lower is better (default none: soft-NS, soft-NC, comprehensiveness, F1, ... are higher-better). */
  lowerIsBetter?: readonly string[];
  /** z of the confidence intervals (default 1.96, a 95% normal interval). */
  z?: number;
}

/** A method compared with its random baseline on one metric. */
export interface VersusRandom {
  /** Method minus baseline: paired per item when both have one value per item (the usual case). */
  difference: MeanEstimate & { paired: boolean };
  /** ln(mean / random mean), ReAGent's sequence-level summary; null unless both means are positive. */
  logRatio: number | null;
  /** The method's mean is above the baseline's (below, for a lower-is-better metric). */
  beats: boolean;
  /** `beats`, and the difference's confidence interval excludes 0. */
  significant: boolean;
}

/** One cell group of the table: a metric's meanWithInterval, its baseline and the comparison. */
export interface BenchmarkMetricCell {
  metric: string;
  value: MeanEstimate;
  /** The `rand_` baseline's estimate; null when the row has none. */
  random: MeanEstimate | null;
  versusRandom: VersusRandom | null;
}

/** One method's row of the table. */
export interface BenchmarkTableRow {
  method: string;
  /** Number of items (the longest metric array). */
  items: number;
  cells: BenchmarkMetricCell[];
  /** Seconds per item. */
  seconds: MeanEstimate;
}

/** The comparison table as plain data (JSON-serialisable); render it with {@link benchmarkTableMarkdown}. */
export interface BenchmarkTable {
  metrics: string[];
  lowerIsBetter: string[];
  /** z of every interval; intervals are mean ± z·sd/√n (normal approximation). */
  z: number;
  rows: BenchmarkTableRow[];
}

function metricOrder(rows: readonly BenchmarkRow[], wanted: readonly string[] | undefined): string[] {
  if (wanted) {
    const missing = wanted.filter((id) => !rows.some((row) => id in row.metrics));
    if (missing.length) {
      throw new TokenscopeError("INVALID_INPUT", `No row has values for metric(s) ${missing.join(", ")}.`, {
        details: { missing },
      });
    }
    return [...wanted];
  }
  const ids = new Set<string>();
  for (const row of rows) {
    for (const id of Object.keys(row.metrics)) {
      const base = id.startsWith(RANDOM_PREFIX) ? id.slice(RANDOM_PREFIX.length) : id;
      if (!id.startsWith(RANDOM_PREFIX) || !(base in row.metrics)) ids.add(base);
    }
  }
  return [...ids];
}

function versusRandom(
  values: number[],
  baseline: number[],
  lowerIsBetter: boolean,
  z: number,
): VersusRandom | null {
  const mean = meanWithInterval(values, z).mean;
  const randomMean = meanWithInterval(baseline, z).mean;
  if (mean === null || randomMean === null) return null;
  const difference = differenceWithInterval(values, baseline, z);
  const beats = lowerIsBetter ? mean < randomMean : mean > randomMean;
  const excludesZero =
    difference.low !== null &&
    difference.high !== null &&
    (lowerIsBetter ? difference.high < 0 : difference.low > 0);
  return {
    difference,
    logRatio: mean > 0 && randomMean > 0 ? Math.log(mean / randomMean) : null,
    beats,
    significant: beats && excludesZero,
  };
}

/**
 * The comparison table of a benchmark: methods as rows; per metric its mean with a 95% confidence
 * interval (normal approximation, mean ± 1.96·sd/√n over items, sd the sample standard deviation),
 * the random baseline's (`rand_<metric>`, computed on the same items) and the method minus the
 * baseline (paired per item), with whether the method beats it (mean above the baseline's; below
 * for `lowerIsBetter` metrics) and ReAGent's log ratio ln(mean / random mean); and time per item.
 */
export function benchmarkTable(
  rows: readonly BenchmarkRow[],
  options: BenchmarkTableOptions = {},
): BenchmarkTable {
  const z = options.z ?? NORMAL_Z_95;
  if (!(Number.isFinite(z) && z > 0)) {
    throw new TokenscopeError("INVALID_PARAMETERS", `z must be a positive number, got ${String(z)}.`);
  }
  const metrics = metricOrder(rows, options.metrics);
  const lowerIsBetter = new Set(options.lowerIsBetter ?? []);
  return {
    metrics,
    lowerIsBetter: metrics.filter((id) => lowerIsBetter.has(id)),
    z,
    rows: rows.map((row) => ({
      method: row.method,
      items: Math.max(0, ...Object.values(row.metrics).map((values) => values.length)),
      cells: metrics.map((metric) => {
        const values = row.metrics[metric] ?? [];
        const baseline = row.metrics[`${RANDOM_PREFIX}${metric}`];
        return {
          metric,
          value: meanWithInterval(values, z),
          random: baseline ? meanWithInterval(baseline, z) : null,
          versusRandom: baseline ? versusRandom(values, baseline, lowerIsBetter.has(metric), z) : null,
        };
      }),
      seconds: meanWithInterval(row.seconds, z),
    })),
  };
}

/**
 * One method's {@link BenchmarkRow} from its per-item results (each item's metric values, e.g. from
 * `itemMetricMeans`, and its seconds): metrics missing from an item get NaN there, so arrays stay
 * aligned by item and baselines stay paired.
 */
export function benchmarkRow(
  method: string,
  items: readonly { metrics: Readonly<Record<string, number>>; seconds: number }[],
): BenchmarkRow {
  const ids = [...new Set(items.flatMap((item) => Object.keys(item.metrics)))];
  return {
    method,
    metrics: Object.fromEntries(ids.map((id) => [id, items.map((item) => item.metrics[id] ?? Number.NaN)])),
    seconds: items.map((item) => item.seconds),
  };
}

/** Options of {@link benchmarkTableMarkdown}. */
export interface BenchmarkMarkdownOptions {
  /** Decimals of metric values (default 3). */
  digits?: number;
  /** Show the random-baseline and difference columns (default true). */
  random?: boolean;
}

function number(value: number | null, digits: number, sign = false): string {
  if (value === null) return "—";
  const text = value.toFixed(digits);
  return sign && value >= 0 ? `+${text}` : text;
}

function withInterval(value: MeanEstimate, digits: number, sign = false): string {
  if (value.mean === null) return "—";
  const half = value.halfWidth === null ? "" : ` ± ${value.halfWidth.toFixed(digits)}`;
  return `${number(value.mean, digits, sign)}${half}`;
}

function mark(versus: VersusRandom): string {
  if (versus.significant) return " ✓";
  if (versus.beats) return " (✓)";
  return " ✗";
}

function escapeCell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/**
 * The table as GitHub Markdown: one row per method; per metric "mean ± half-width", its `rand_`
 * column and "Δ" (method − baseline, paired) marked ✓ when the method beats the baseline with the
 * difference's interval above 0, (✓) when it beats it within the noise, ✗ when it does not; then
 * items and seconds per item. A note under the table says how intervals are computed.
 */
export function benchmarkTableMarkdown(
  table: BenchmarkTable,
  options: BenchmarkMarkdownOptions = {},
): string {
  const digits = options.digits ?? 3;
  const showRandom = options.random ?? true;
  const header = ["method"];
  for (const metric of table.metrics) {
    const arrow = table.lowerIsBetter.includes(metric) ? " ↓" : "";
    header.push(`${metric}${arrow}`);
    if (showRandom) header.push(`${RANDOM_PREFIX}${metric}`, `Δ ${metric}`);
  }
  header.push("items", "s/item");
  const lines = [
    `| ${header.map(escapeCell).join(" | ")} |`,
    `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const row of table.rows) {
    const cells = [row.method];
    for (const cell of row.cells) {
      cells.push(withInterval(cell.value, digits));
      if (!showRandom) continue;
      cells.push(cell.random ? withInterval(cell.random, digits) : "—");
      cells.push(
        cell.versusRandom
          ? `${withInterval(cell.versusRandom.difference, digits, true)}${mark(cell.versusRandom)}`
          : "—",
      );
    }
    cells.push(String(row.items), withInterval(row.seconds, 2));
    lines.push(`| ${cells.map(escapeCell).join(" | ")} |`);
  }
  const z = table.z === NORMAL_Z_95 ? "95%" : `z = ${table.z}`;
  lines.push(
    "",
    `Means over items ± the ${z} normal-approximation interval half-width (z·sd/√n). ${
      showRandom
        ? "rand_: the same metric for random importance (softmax of uniform noise) on the same items; Δ: method − random, paired per item; ✓ beats random with the interval above 0, (✓) beats it within the noise, ✗ does not."
        : ""
    }`.trimEnd(),
  );
  return `${lines.join("\n")}\n`;
}
