import { checkLimit, TokenscopeError } from "@tokenscope/core";
import type { ImportanceNormalization } from "../metrics/importance.ts";
import { metricAliases, metricDefinitions } from "../metrics/index.ts";
import type { NoiseSource } from "../metrics/noise.ts";
import { seededNoise } from "../metrics/noise.ts";
import type { MetricDefinition } from "../metrics/types.ts";
import { DEFAULT_K, DEFAULT_METRICS, type ErasureBaseline, type EvaluateOptions } from "./types.ts";

/** A metric to compute, with the k fractions it uses. */
export interface MetricSelection {
  definition: MetricDefinition;
  k: readonly number[];
}

/** {@link EvaluateOptions} checked, with defaults applied. */
export interface ResolvedOptions {
  selections: MetricSelection[];
  k: readonly number[];
  samples: number;
  seed: number;
  baseline: ErasureBaseline;
  batchSize: number;
  importance: ImportanceNormalization;
  curve: "units" | "k";
  unattributedPrefix: "error" | "keep";
  allowModelMismatch: boolean;
  noise: NoiseSource;
}

function invalid(message: string, hint: string, details: Record<string, unknown>): never {
  throw new TokenscopeError("INVALID_PARAMETERS", message, { hint, details });
}

/** Every id `metrics` accepts, for messages and listings. */
export function validMetricIds(): string[] {
  return [
    ...metricDefinitions.map((definition) => definition.id),
    ...metricDefinitions.filter((definition) => definition.usesK).map((definition) => `${definition.id}@<k>`),
    ...Object.keys(metricAliases),
  ];
}

function checkFraction(k: unknown, what: string): number {
  if (typeof k !== "number" || !Number.isFinite(k) || k <= 0 || k > 1) {
    invalid(
      `${what} is ${String(k)}; a fraction of units must lie in (0, 1].`,
      "Give k such as 0.1 (10% of the units).",
      {
        k,
      },
    );
  }
  return k;
}

function parseSelections(ids: readonly string[], k: readonly number[]): MetricSelection[] {
  const selections: MetricSelection[] = [];
  const add = (definition: MetricDefinition, fractions: readonly number[]) => {
    const existing = selections.find((selection) => selection.definition === definition);
    if (!existing) selections.push({ definition, k: [...fractions] });
    else existing.k = [...new Set([...existing.k, ...fractions])];
  };
  for (const raw of ids) {
    const id = raw.trim();
    const alias = metricAliases[id];
    if (alias) {
      for (const member of alias) add(metricDefinitions.find((definition) => definition.id === member)!, k);
      continue;
    }
    const at = id.indexOf("@");
    const base = at < 0 ? id : id.slice(0, at);
    const definition = metricDefinitions.find((candidate) => candidate.id === base);
    if (!definition || (at >= 0 && !definition.usesK)) {
      invalid(`Unknown metric "${raw}".`, `Valid metrics: ${validMetricIds().join(", ")}.`, {
        metric: raw,
        valid: validMetricIds(),
      });
    }
    if (at >= 0) {
      const text = id.slice(at + 1);
      add(definition, [checkFraction(text.trim() === "" ? Number.NaN : Number(text), `k of "${raw}"`)]);
    } else add(definition, k);
  }
  if (selections.length === 0)
    invalid("No metric was asked for.", `Name at least one of: ${validMetricIds().join(", ")}.`, {});
  return selections;
}

function checkBaseline(baseline: unknown): ErasureBaseline {
  if (baseline === "unk" || baseline === "zero") return baseline;
  if (
    typeof baseline === "object" &&
    baseline !== null &&
    "id" in baseline &&
    Number.isInteger((baseline as { id: unknown }).id) &&
    (baseline as { id: number }).id >= 0
  ) {
    return { id: (baseline as { id: number }).id };
  }
  return invalid(
    `baseline ${JSON.stringify(baseline)} is not "unk", "zero" or { id: <token id> }.`,
    'Use baseline: "unk" (default), "zero" or { id: 0 }.',
    {
      baseline,
    },
  );
}

function checkChoice<T extends string>(value: unknown, choices: readonly T[], fallback: T, name: string): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) {
    invalid(`${name} is ${JSON.stringify(value)}.`, `Use one of: ${choices.join(", ")}.`, { [name]: value });
  }
  return value as T;
}

/** Checks {@link EvaluateOptions} and applies the defaults; throws `INVALID_PARAMETERS` (sizes: `INVALID_INPUT`). */
export function resolveOptions(options: EvaluateOptions = {}): ResolvedOptions {
  const k = (options.k ?? DEFAULT_K).map((fraction, index) => checkFraction(fraction, `k[${index}]`));
  if (k.length === 0)
    invalid("k is empty.", "Give at least one fraction in (0, 1], e.g. k: [0.1].", { k: options.k });
  const samples = options.samples ?? 1;
  if (!Number.isInteger(samples) || samples < 1) {
    invalid(
      `samples is ${samples}; it must be a whole number ≥ 1.`,
      "Use samples: 1 for ReAGent's single draw, more for a Monte Carlo mean.",
      {
        samples,
      },
    );
  }
  checkLimit("samples", samples, "samples");
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed))
    invalid(`seed is ${seed}; it must be an integer.`, "Use e.g. seed: 42.", { seed });
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    invalid(`batchSize is ${batchSize}; it must be a whole number ≥ 1.`, "Use e.g. batchSize: 32.", {
      batchSize,
    });
  }
  checkLimit("batchRows", batchSize, "batchSize");
  return {
    selections: parseSelections(options.metrics ?? DEFAULT_METRICS, k),
    k,
    samples,
    seed,
    baseline: checkBaseline(options.baseline ?? "unk"),
    batchSize,
    importance: checkChoice(options.importance, ["signed", "abs"] as const, "signed", "importance"),
    curve: checkChoice(options.curve, ["units", "k"] as const, "units", "curve"),
    unattributedPrefix: checkChoice(
      options.unattributedPrefix,
      ["error", "keep"] as const,
      "error",
      "unattributedPrefix",
    ),
    allowModelMismatch: options.allowModelMismatch ?? false,
    noise: options.noise ?? seededNoise(seed),
  };
}
