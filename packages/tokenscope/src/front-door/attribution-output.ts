import {
  type AggregationStep,
  type AttributionResult,
  type AttributionRow,
  aggregate,
  type InseqJsonOptions,
  type Precision,
  type RunInfo,
  type ScoresDict,
  type SequenceAttribution,
  toInseqJson,
  toRows,
  toScoresDicts,
} from "@tokenscope/core";
import {
  type HtmlOptions,
  jupyterDisplay,
  type MimeBundle,
  type NotebookHtmlOptions,
  type ResultViewOptions,
  toHtml,
  toMimeBundle,
} from "@tokenscope/viz";

/** Options of {@link AttributionOutput.save}, named as Inseq's `save()`. */
export interface OutputSaveOptions {
  /** Gzip the file (default: true exactly when the path ends in `.gz`). */
  compress?: boolean;
  /** One file per sequence: `out.json` becomes `out-0.json`, `out-1.json`, ... */
  splitSequences?: boolean;
  /** Precision of scores and raw tensors (default "float32"). */
  precision?: Precision;
  /** Spaces of indentation (default 0). */
  indent?: number;
}

/** Options of {@link AttributionOutput.show}: the terminal view's, and the notebook view's. */
export type ShowOptions = ResultViewOptions & NotebookHtmlOptions;

/** What differs between Node and browsers when a result is shown or saved. */
export interface OutputPlatform {
  /** Prints a result view and returns the text printed. */
  show(result: AttributionResult, options: ShowOptions): string;
  /** Writes `result` to `path`, returning the paths written. */
  save(result: AttributionResult, path: string, options: OutputSaveOptions): Promise<string[]>;
}

/**
 * An attribution result with Inseq's conveniences (`show`, `save`, `aggregate`, `get_scores_dicts` as
 * `scores`). The plain, serializable {@link AttributionResult} stays in `result`: the wrapper only
 * holds it.
 */
export interface AttributionOutput {
  /** The plain result (what `saveResult`, `serializeResult` and every renderer take). */
  readonly result: AttributionResult;
  /** Shorthand for `result.info`. */
  readonly info: RunInfo;
  /** Shorthand for `result.sequences`. */
  readonly sequences: readonly SequenceAttribution[];
  /**
   * Shows the result where the user is: in a notebook (Deno's Jupyter kernel, tslab) the interactive
   * HTML view; otherwise the terminal view (heatmaps in Node, plain text on the console in browsers).
   * Returns the text printed (the MIME bundle's text/plain line in a notebook).
   */
  show(options?: ShowOptions): string;
  /** The self-contained interactive HTML page of the result (viz's `toHtml`). */
  toHtml(options?: HtmlOptions): string;
  /**
   * The notebook MIME bundle (text/html: the interactive view in a sandboxed frame; text/plain): what
   * Deno's Jupyter kernel shows when an output is the value of a cell.
   */
  [jupyterDisplay](): MimeBundle;
  /** Saves the result as JSON (gzipped with `compress` or a `.gz` path); Node only. */
  save(path: string, options?: OutputSaveOptions): Promise<string[]>;
  /** A new output with aggregation steps applied (see core's `aggregate`); this one is unchanged. */
  aggregate(steps: AggregationStep | readonly AggregationStep[]): AttributionOutput;
  /** Long-form rows, one per non-null cell, for data-frame style analysis (core's `toRows`). */
  toRows(): AttributionRow[];
  /** Inseq's `get_scores_dicts()`: per sequence, scores keyed by (position, token) (core's `toScoresDicts`). */
  scores(): ScoresDict[];
  /** The result in Inseq's saved-output JSON layout, readable by `inseq.FeatureAttributionOutput.load`. */
  toInseqJson(options?: InseqJsonOptions): string;
}

/** Wraps a plain result in an {@link AttributionOutput} for one platform. */
export function wrapResult(result: AttributionResult, platform: OutputPlatform): AttributionOutput {
  return {
    result,
    info: result.info,
    sequences: result.sequences,
    show: (options = {}) => platform.show(result, options),
    toHtml: (options) => toHtml(result, options),
    [jupyterDisplay]: () => toMimeBundle(result),
    save: (path, options = {}) => platform.save(result, path, options),
    aggregate: (steps) =>
      wrapResult(aggregate(result, Array.isArray(steps) ? steps : [steps as AggregationStep]), platform),
    toRows: () => toRows(result),
    scores: () => toScoresDicts(result),
    toInseqJson: (options) => toInseqJson(result, options),
  };
}
