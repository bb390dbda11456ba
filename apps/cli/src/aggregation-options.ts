import type { AggregationStep } from "tokenscope";

/** What `--aggregate`, `--merge`, `--merge-args`, `--normalize` and `--rescale` asked for. */
export interface AggregationFlags {
  /** A dimension reducer (l2, l1, sum, ...), "none" (keep raw), or absent for the method's default. */
  aggregate?: string;
  merge?: string;
  mergeArgs?: Record<string, unknown>;
  normalize?: "step" | "none";
  rescale?: boolean;
}

/** `attribute()`'s aggregation options for the flags. */
export interface AggregationChoice {
  aggregate?: AggregationStep[];
  normalize?: boolean;
}

/**
 * The aggregation pipeline of the flags, in Inseq's order: reduce each vector (`--aggregate`),
 * normalise per step, then merge units (`--merge`, not renormalised, as Inseq) and rescale. Without
 * flags the library's defaults stand (L2 then normalisation for per-dimension methods, the method's
 * own choice of normalisation otherwise). `--aggregate none` keeps the raw vectors and applies nothing.
 * `methodNormalizes` is the method's `normalizeByDefault`.
 */
export function aggregationChoice(flags: AggregationFlags, methodNormalizes: boolean): AggregationChoice {
  if (flags.aggregate === "none") return { aggregate: [] };
  const normalize = flags.rescale
    ? false
    : flags.normalize === undefined
      ? undefined
      : flags.normalize === "step";
  if (!flags.merge && !flags.rescale) {
    return {
      ...(flags.aggregate ? { aggregate: [flags.aggregate] } : {}),
      ...(normalize !== undefined ? { normalize } : {}),
    };
  }
  const steps: AggregationStep[] = flags.aggregate ? [flags.aggregate] : [];
  if (normalize ?? (flags.rescale ? false : methodNormalizes)) steps.push("normalize");
  if (flags.merge)
    steps.push({ id: flags.merge, ...(flags.mergeArgs ? { parameters: flags.mergeArgs } : {}) });
  if (flags.rescale) steps.push("rescale");
  return { aggregate: steps, normalize: false };
}
