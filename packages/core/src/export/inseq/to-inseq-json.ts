import { TokenscopeError } from "../../errors/index.ts";
import type { AttributionResult, SequenceAttribution } from "../../result/types.ts";
import { encodeBase64 } from "../../serialization/base64.ts";
import { type InseqSequenceLayout, type InseqToken, inseqSequenceLayout } from "./layout.ts";
import { attributionSafetensor, type InseqPrecision } from "./safetensor-blob.ts";

/** Options of {@link toInseqJson}. */
export interface InseqJsonOptions {
  /** Element type of the saved tensors (Inseq's `scores_precision`); default "float32". */
  precision?: InseqPrecision;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Inseq writes every object as its class and its attributes. */
function instance(module: string, name: string, attributes: { [key: string]: Json }): Json {
  return { __instance_type__: [module, name], attributes };
}

function tokenWithId(token: InseqToken): Json {
  return instance("inseq.utils.typing", "TokenWithId", { id: token.id, token: token.token });
}

/** Our step function ids as Inseq names its functions in `info.attributed_fn` (logprob is probability). */
function inseqFunctionName(id: string): string {
  return `${id === "logprob" ? "probability" : id}_fn`;
}

/** The raw per-dimension tensor [rows, columns, dims] in Inseq's layout, for unaggregated results. */
function rawMatrix(sequence: SequenceAttribution, layout: InseqSequenceLayout): Float64Array | undefined {
  const rawSource = sequence.rawSourceAttributions;
  if (!rawSource || sequence.aggregation.length > 0) return undefined;
  const dims = rawSource.dims[2];
  if (dims === 1) return undefined;
  const prompt = sequence.source.length;
  const firstStep = layout.attrPosStart - prompt;
  const out = new Float64Array(layout.rows * layout.columns * dims).fill(Number.NaN);
  const rawTarget = sequence.rawTargetAttributions;
  for (let j = 0; j < layout.columns; j++) {
    const t = firstStep + j;
    for (let row = 0; row < layout.rows; row++) {
      const fromSource = row < prompt;
      const column = fromSource ? row : row - prompt;
      if (!fromSource && (!rawTarget || column >= t)) continue;
      const raw = fromSource ? rawSource : rawTarget!;
      const width = raw.dims[1];
      const offset = (t * width + column) * dims;
      for (let d = 0; d < dims; d++) out[(row * layout.columns + j) * dims + d] = raw.data[offset + d]!;
    }
  }
  return out;
}

function sequenceJson(sequence: SequenceAttribution, precision: InseqPrecision): Json {
  const layout = inseqSequenceLayout(sequence);
  const raw = rawMatrix(sequence, layout);
  const dims = sequence.rawSourceAttributions?.dims[2] ?? 1;
  const blob = (values: Float64Array, shape: number[]) =>
    encodeBase64(attributionSafetensor(values, shape, precision));
  const attributes = {
    attr_pos_end: layout.attrPosEnd,
    attr_pos_start: layout.attrPosStart,
    sequence_scores: {},
    source: layout.source.map(tokenWithId),
    source_attributions: null,
    step_scores: Object.fromEntries(
      Object.entries(layout.stepScores).map(([id, values]) => [id, blob(values, [layout.columns])]),
    ),
    target: layout.target.map(tokenWithId),
    target_attributions: raw
      ? blob(raw, [layout.rows, layout.columns, dims])
      : blob(layout.matrix, [layout.rows, layout.columns]),
  };
  // Aggregated scores are Inseq's coarse output (no further aggregation on load); raw vectors granular.
  const name = raw ? "GranularFeatureAttributionSequenceOutput" : "CoarseFeatureAttributionSequenceOutput";
  return instance("inseq.data.attribution", name, attributes);
}

function infoJson(result: AttributionResult): { [key: string]: Json } {
  const { info } = result;
  const first = result.sequences[0] ? inseqSequenceLayout(result.sequences[0]) : undefined;
  const attributed = info.attributedFunction;
  const attributedArgs: { [key: string]: Json } = structuredClone(
    (attributed?.parameters ?? {}) as { [key: string]: Json },
  );
  if (attributed?.id === "logprob") attributedArgs["logprob"] = true;
  const extra = info.extra ?? {};
  const forced = !("generation" in extra);
  return {
    attr_pos_end: first?.attrPosEnd ?? 0,
    attr_pos_start: first?.attrPosStart ?? 0,
    attribute_target: false,
    attributed_fn: attributed ? inseqFunctionName(attributed.id) : null,
    attributed_fn_args: attributedArgs,
    attribution_args: structuredClone(info.method.parameters) as { [key: string]: Json },
    attribution_method: info.method.id,
    constrained_decoding: forced,
    exec_time: info.durationMs / 1000,
    generate_from_target_prefix: false,
    generated_texts: result.sequences.map((sequence) => sequence.sourceText + sequence.targetText),
    generation_args: (forced ? {} : structuredClone(extra["generation"])) as { [key: string]: Json },
    include_eos_baseline: false,
    input_texts: result.sequences.map((sequence) => sequence.sourceText),
    model_class: info.model.architecture ?? null,
    model_name: info.model.id,
    output_step_attributions: false,
    step_scores: Object.keys(result.sequences[0]?.stepScores ?? {}),
    step_scores_args: {},
    tokenizer_class: null,
    tokenizer_name: null,
  };
}

/** JSON text as Python's `json.dump(..., indent=4, sort_keys=True)` writes it (ensure_ascii included). */
export function pythonJson(value: Json): string {
  const sorted = (item: Json): Json => {
    if (Array.isArray(item)) return item.map(sorted);
    if (item !== null && typeof item === "object") {
      return Object.fromEntries(
        Object.keys(item)
          .sort()
          .map((key) => [key, sorted(item[key]!)]),
      );
    }
    return item;
  };
  return JSON.stringify(sorted(value), null, 4).replace(
    /[\u0080-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * A result in the layout of Inseq's `FeatureAttributionOutput.save()` (decoder-only models), so that
 * `inseq.FeatureAttributionOutput.load(path)` and tools built on Inseq files read it: each sequence as
 * Inseq's output class with `source` (the prompt), `target` (prompt then generated tokens), the
 * scores as `target_attributions` [input tokens × generated tokens] in a base64 safetensors blob
 * (prompt rows, then the earlier generated tokens; NaN where Inseq has it), `step_scores` likewise,
 * and `info` with Inseq's keys. Aggregated scores are written as Inseq's coarse output (no further
 * aggregation when Inseq loads them); a result kept unaggregated (`aggregate: []`) as granular
 * [rows, columns, hidden] vectors, which Inseq reduces with its default L2 + normalisation.
 * Tokens are the tokenizer's pieces when the result has them (their text otherwise).
 * @throws TokenscopeError INVALID_INPUT for a precision Inseq cannot read.
 */
export function toInseqJson(result: AttributionResult, options: InseqJsonOptions = {}): string {
  const precision = options.precision ?? "float32";
  if (precision !== "float32" && precision !== "float16") {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `toInseqJson: precision must be float32 or float16, not ${String(precision)}.`,
      {
        hint: "Inseq reads float32 and float16 tensors.",
      },
    );
  }
  return pythonJson(
    instance("inseq.data.attribution", "FeatureAttributionOutput", {
      info: infoJson(result),
      sequence_attributions: result.sequences.map((sequence) => sequenceJson(sequence, precision)),
      step_attributions: null,
    }),
  );
}
