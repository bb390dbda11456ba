import { type AggregationStep, getAggregator, parseParameters, TokenscopeError } from "tokenscope";

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

/** Ranges as the spans aggregator reads them: half-open [start, end) token indices. */
type Ranges = readonly (readonly [number, number])[];

/**
 * What the token ranges of `--merge spans` say without the tokens: an empty range ([4, 1)) or two
 * that overlap is wrong for any prompt. (A range past the end needs the prompt's length, so the
 * aggregator itself checks it, after attributing.)
 */
function checkSpanRanges(side: "source" | "target", ranges: Ranges): void {
  const problem = (range: readonly [number, number], what: string) =>
    new TokenscopeError("INVALID_INPUT", `--merge-args: ${side} range [${range[0]}, ${range[1]}) ${what}.`, {
      hint: "Give half-open, non-overlapping [start, end) token index ranges with start < end.",
      details: { side, range },
    });
  for (const range of ranges) if (range[0] >= range[1]) throw problem(range, "is empty");
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  for (let index = 1; index < sorted.length; index++) {
    const previous = sorted[index - 1]!;
    if (sorted[index]![0] < previous[1]) {
      throw problem(sorted[index]!, `overlaps [${previous[0]}, ${previous[1]})`);
    }
  }
}

/**
 * Checks the aggregation pipeline of the flags before the model loads: each aggregator exists and
 * its parameters (`--merge-args`) match its schema (`INVALID_PARAMETERS`, as the library would
 * after attributing), and span ranges are not empty or overlapping (`INVALID_INPUT`).
 */
export function checkAggregationBeforeLoading(choice: AggregationChoice): void {
  for (const step of choice.aggregate ?? []) {
    const { id, parameters } = typeof step === "string" ? { id: step, parameters: undefined } : step;
    const parsed = parseParameters(getAggregator(id).parameters, parameters, `Aggregator "${id}"`, id) as {
      source?: Ranges;
      target?: Ranges;
    };
    if (id !== "spans") continue;
    checkSpanRanges("source", parsed.source ?? []);
    checkSpanRanges("target", parsed.target ?? []);
  }
}
