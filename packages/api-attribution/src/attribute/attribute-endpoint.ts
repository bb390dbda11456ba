import {
  type AttributionResult,
  type ProgressCallback,
  SCHEMA_VERSION,
  type SequenceAttribution,
  TOOL_VERSION,
  type Token,
  TokenscopeError,
  throwIfAborted,
} from "@tokenscope/core";
import type { Completion, Endpoint, EndpointCapabilities, TokenLogprob } from "../endpoint/types.ts";
import { type ExperimentLog, type ExperimentRecord, newExperimentLog } from "../log/experiment-log.ts";
import { type MeasureId, measureFactories } from "../measures/index.ts";
import { spansOf } from "../measures/output-tokens.ts";
import type {
  Measure,
  MeasureOptions,
  MeasureScores,
  OutputEmbedder,
  SpannedToken,
} from "../measures/types.ts";
import { perturbPrompt } from "../perturbation/apply.ts";
import {
  type Chunk,
  type ChunkScore,
  type HierarchicalOptions,
  hierarchicalSearch,
} from "../perturbation/hierarchical.ts";
import type { Perturbation } from "../perturbation/types.ts";
import { splitUnits } from "../units/split-units.ts";
import type { PromptUnit, UnitKind, UnitTokenizer } from "../units/types.ts";

/** Options of {@link attributeEndpoint}. */
export interface EndpointAttributionOptions extends MeasureOptions {
  /** What is perturbed at a time; default "word". */
  unit?: UnitKind;
  /** For token units: the tokenizer whose tokens are the units. */
  tokenizer?: UnitTokenizer;
  /** Locale of word and sentence segmentation (Intl.Segmenter); default the runtime's. */
  locale?: string;
  /** How a unit (or chunk) is changed. */
  perturbation: Perturbation;
  /** Perturb hierarchically (chunks, split where it matters) instead of one unit at a time. */
  hierarchical?: HierarchicalOptions | boolean;
  /** The measures of change; default ["prob_diff"]. The first one steers hierarchical splitting. */
  strategies?: readonly MeasureId[];
  /** Token embeddings for `cosine`. */
  embedder?: OutputEmbedder;
  /** Tokens generated per request; default 16. */
  maxNewTokens?: number;
  /** Prices in dollars per million prompt and completion tokens, for the run's cost estimate. */
  pricing?: { promptPerMillion: number; completionPerMillion: number };
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** An experiment log to add this run to (a new one by default). */
  log?: ExperimentLog;
}

/** What a run produced: one result per strategy, the log, and what it cost. */
export interface EndpointAttribution {
  /** One `AttributionResult` per strategy, in the order asked for. */
  results: { strategy: MeasureId; result: AttributionResult }[];
  log: ExperimentLog;
  /** Requests of this run: perturbations, their requests and the endpoint's counters. */
  requests: { perturbations: number; sent: number; cacheHits: number; retries: number };
}

/** A perturbation's outcome, before the measures. */
interface PerturbedRun {
  chunk: Chunk;
  prompt: string;
  completion: Completion | null;
  scored: TokenLogprob[] | null;
}

const caller = "attributeEndpoint";

function checkCapabilities(
  measures: readonly Measure[],
  capabilities: EndpointCapabilities,
  endpoint: Endpoint,
) {
  for (const measure of measures) {
    if (measure.needs.logprobs && !capabilities.logprobs) {
      throw new TokenscopeError(
        "MISSING_CAPABILITY",
        `The ${measure.id} strategy needs log-probabilities, and ${endpoint.info.baseUrl} (${endpoint.info.model}) returns none.`,
        {
          hint: "Use the cosine strategy (needs only the output text and --embeddings), or a server that returns logprobs.",
          details: { strategy: measure.id, capabilities },
        },
      );
    }
    if (measure.needs.echo && !capabilities.echo) {
      throw new TokenscopeError(
        "MISSING_CAPABILITY",
        `The ${measure.id} strategy reads prompt log-probabilities (completions with echo), which ${endpoint.info.baseUrl} does not return${endpoint.info.mode === "chat" ? " in chat mode" : ""}.`,
        {
          hint:
            endpoint.info.mode === "chat"
              ? "Use --mode completions on a server with echo and logprobs (vLLM, tokenscope serve), or prob_diff / cosine."
              : "Use prob_diff or cosine, or a server with echo and logprobs (vLLM, tokenscope serve).",
          details: { strategy: measure.id, capabilities },
        },
      );
    }
  }
}

/** The scored tokens of the output part of `prompt + output`, offsets made relative to the output. */
function outputPart(completion: Completion, promptLength: number): TokenLogprob[] {
  const tokens = completion.promptTokens ?? [];
  return tokens
    .filter((token) => token.offset !== undefined && token.offset >= promptLength)
    .map((token) => ({ ...token, offset: token.offset! - promptLength }));
}

/** Mean of the measure's values over its tokens that overlap each target's span. */
function alignToTargets(targets: readonly SpannedToken[], scores: MeasureScores): (number | null)[] {
  return targets.map((target) => {
    let sum = 0;
    let count = 0;
    scores.tokens.forEach((token, i) => {
      const value = scores.values[i];
      const overlaps =
        token.span[0] < target.span[1] && target.span[0] < token.span[1]
          ? true
          : token.span[0] === token.span[1] && token.span[0] === target.span[0];
      if (overlaps && value !== null && value !== undefined && Number.isFinite(value)) {
        sum += value;
        count += 1;
      }
    });
    return count > 0 ? sum / count : null;
  });
}

function mean(values: readonly (number | null)[]): number | null {
  const finite = values.filter((value): value is number => value !== null && Number.isFinite(value));
  return finite.length > 0 ? finite.reduce((a, b) => a + b, 0) / finite.length : null;
}

/** The output tokens the result's rows are: the server's tokens, else the embedder's, else the whole text. */
async function targetTokens(original: Completion, scored: TokenLogprob[] | null, embedder?: OutputEmbedder) {
  if (original.tokens && original.tokens.map((t) => t.token).join("") === original.text) {
    return spansOf(original.tokens);
  }
  if (scored && scored.length > 0) {
    return scored.map((token) => ({
      text: token.token,
      span: [token.offset ?? 0, (token.offset ?? 0) + token.token.length] as [number, number],
    }));
  }
  if (embedder) {
    const tokens = await embedder.tokenize(original.text);
    return tokens.map((token) => ({ text: original.text.slice(...token.span), span: token.span }));
  }
  return original.text === ""
    ? []
    : [{ text: original.text, span: [0, original.text.length] as [number, number] }];
}

/**
 * Explains what an API-only model generates for `prompt` by perturbing the prompt: each unit (token,
 * word, sentence) in turn — or chunks of them, hierarchically — is changed by `perturbation`, the
 * changed prompt is sent, and each strategy measures how much the output changed (see the measures).
 * The original output is generated once at temperature 0 with a fixed seed; `logprob` scores it
 * teacher-forced after every perturbed prompt, so it needs no regeneration.
 *
 * Returns one core `AttributionResult` per strategy: rows are the output's tokens, columns the
 * prompt's units (with character spans), cells the strategy's per-position change; `extras` holds
 * each unit's overall score (the mean over positions, the seed library's total attribution), and run
 * info holds the endpoint (no credentials), request counts, tokens and a cost estimate.
 * @throws TokenscopeError MISSING_CAPABILITY when a strategy needs what the server lacks (checked
 *   before any perturbation is sent), INVALID_INPUT, API_ERROR / RATE_LIMITED, ABORTED.
 */
export async function attributeEndpoint(
  endpoint: Endpoint,
  prompt: string,
  options: EndpointAttributionOptions,
): Promise<EndpointAttribution> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const { signal } = options;
  if (prompt.trim() === "") {
    throw new TokenscopeError("INVALID_INPUT", `${caller}: the prompt is empty.`, {
      hint: "Give the text to attribute.",
    });
  }
  const strategyIds: MeasureId[] = [...new Set<MeasureId>(options.strategies ?? ["prob_diff"])];
  const measures = strategyIds.map((id) => {
    // Own keys only: a strategy named "constructor" must not find Object's.
    const factory = Object.hasOwn(measureFactories, id) ? measureFactories[id] : undefined;
    if (!factory) {
      throw new TokenscopeError("INVALID_INPUT", `${caller}: unknown strategy ${JSON.stringify(id)}.`, {
        hint: `Pick from ${Object.keys(measureFactories).join(", ")}.`,
        details: { strategy: id },
      });
    }
    return factory(options);
  });
  const before = endpoint.stats();
  checkCapabilities(measures, await endpoint.capabilities(signal ? { signal } : {}), endpoint);
  const units = await splitUnits(prompt, options.unit ?? "word", {
    ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}),
    ...(options.locale ? { locale: options.locale } : {}),
  });
  if (units.length === 0) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${caller}: the prompt has no ${options.unit ?? "word"} units.`,
      {
        hint: "Give a prompt with text in it, or another --unit.",
      },
    );
  }
  const maxTokens = options.maxNewTokens ?? 16;
  const needGeneration = measures.some((measure) => measure.needs.generation);
  const needScoring = measures.some((measure) => measure.needs.echo);
  const call = signal ? { signal } : {};
  const score = async (text: string, output: string) =>
    outputPart(
      await endpoint.complete({ prompt: text + output, maxTokens: 0, echo: true }, call),
      text.length,
    );

  const original = await endpoint.complete({ prompt, maxTokens }, call);
  const originalScored = needScoring ? await score(prompt, original.text) : null;
  const targets = await targetTokens(original, originalScored, options.embedder);
  const log = options.log ?? newExperimentLog();
  const records: ExperimentRecord[] = [];
  let perturbations = 0;

  const run = async (chunk: Chunk): Promise<PerturbedRun> => {
    const text = await perturbPrompt(prompt, units, chunk, options.perturbation);
    const [completion, scored] = await Promise.all([
      needGeneration ? endpoint.complete({ prompt: text, maxTokens }, call) : Promise.resolve(null),
      needScoring ? score(text, original.text) : Promise.resolve(null),
    ]);
    return { chunk, prompt: text, completion, scored };
  };
  const measureAll = async (perturbed: PerturbedRun) =>
    Promise.all(
      measures.map(async (measure) =>
        measure.score({
          original,
          perturbed: perturbed.completion ?? original,
          ...(originalScored ? { originalScored } : {}),
          ...(perturbed.scored ? { perturbedScored: perturbed.scored } : {}),
          ...(options.embedder ? { embedder: options.embedder } : {}),
        }),
      ),
    );
  /** Perturbs every chunk (concurrently: the endpoint limits what is in flight) and measures each. */
  const scoreChunks = async (chunks: Chunk[], depth: number, total: number) => {
    let done = 0;
    return Promise.all(
      chunks.map(async (chunk) => {
        throwIfAborted(signal);
        const perturbed = await run(chunk);
        const scores = await measureAll(perturbed);
        perturbations += 1;
        done += 1;
        options.onProgress?.({ phase: "perturbations", completed: done, total });
        const aligned = scores.map((s) => alignToTargets(targets, s));
        records.push({
          depth,
          units: chunk,
          removed: chunk.map((i) => units[i]!.text).join(""),
          perturbedPrompt: perturbed.prompt,
          perturbedOutput: perturbed.completion?.text ?? null,
          scores: Object.fromEntries(strategyIds.map((id, m) => [id, mean(aligned[m]!)])),
        });
        return { chunk, aligned, scores };
      }),
    );
  };

  const matrices = strategyIds.map(() =>
    targets.map(() => new Array<number | null>(units.length).fill(null)),
  );
  const unitTotals = strategyIds.map(() => new Array<number | null>(units.length).fill(null));
  const sentences = strategyIds.map(() => new Array<number | null>(units.length).fill(null));
  let stages: Chunk[][] | undefined;
  if (options.hierarchical) {
    const settings = options.hierarchical === true ? {} : options.hierarchical;
    // The first strategy steers the splitting (the seed's threshold_attribution_strategy); the others
    // are accumulated over the same chunks.
    const perStrategy = strategyIds.map(() => ({
      units: new Array<number>(units.length).fill(0),
      matrix: targets.map(() => new Array<number>(units.length).fill(0)),
    }));
    let depth = 0;
    const outcome = await hierarchicalSearch(units.length, targets.length, settings, async (chunks) => {
      const scored = await scoreChunks(chunks, depth++, chunks.length);
      // Others than the first: accumulate as the search does, from the same chunks.
      strategyIds.forEach((_, m) => {
        if (m === 0) return;
        const own = perStrategy[m]!;
        const stageUnit = new Array<number>(units.length).fill(0);
        const stageMatrix = targets.map(() => new Array<number>(units.length).fill(0));
        const covered = new Array<number>(units.length).fill(0);
        for (const { chunk, aligned } of scored) {
          const total = mean(aligned[m]!);
          if (total === null) continue;
          for (const unit of chunk) {
            covered[unit]! += 1;
            stageUnit[unit]! += total / chunk.length;
            aligned[m]!.forEach((value, t) => {
              if (value !== null) stageMatrix[t]![unit]! += value / chunk.length;
            });
          }
        }
        for (let unit = 0; unit < units.length; unit++) {
          if (covered[unit] === 0) continue;
          own.units[unit]! += Math.abs(stageUnit[unit]! / covered[unit]!);
          for (let t = 0; t < targets.length; t++)
            own.matrix[t]![unit]! += Math.abs(stageMatrix[t]![unit]! / covered[unit]!);
        }
      });
      return scored.map(({ aligned }): ChunkScore => ({ total: mean(aligned[0]!), positions: aligned[0]! }));
    });
    stages = outcome.stages;
    strategyIds.forEach((_, m) => {
      const source = m === 0 ? { units: outcome.unitScores, matrix: outcome.matrix } : perStrategy[m]!;
      unitTotals[m] = [...source.units];
      matrices[m] = source.matrix.map((row) => [...row]);
    });
  } else {
    const scored = await scoreChunks(
      units.map((_, i) => [i]),
      0,
      units.length,
    );
    for (const { chunk, aligned, scores } of scored) {
      const unit = chunk[0]!;
      strategyIds.forEach((_, m) => {
        aligned[m]!.forEach((value, t) => {
          matrices[m]![t]![unit] = value;
        });
        unitTotals[m]![unit] = mean(aligned[m]!);
        sentences[m]![unit] = scores[m]!.sentence ?? null;
      });
    }
  }

  const after = endpoint.stats();
  const sent = after.requests - before.requests;
  const promptTokens = after.promptTokens - before.promptTokens;
  const completionTokens = after.completionTokens - before.completionTokens;
  const requests = {
    perturbations,
    sent,
    cacheHits: after.cacheHits - before.cacheHits,
    retries: after.retries - before.retries,
  };
  const cost = options.pricing
    ? (promptTokens * options.pricing.promptPerMillion +
        completionTokens * options.pricing.completionPerMillion) /
      1e6
    : null;
  const source: Token[] = units.map((unit: PromptUnit) => ({
    id: unit.id,
    text: unit.text,
    span: unit.span,
    special: false,
  }));
  const target: Token[] = targets.map((token) => ({
    id: null,
    text: token.text,
    span: token.span,
    special: false,
  }));
  const probabilities =
    original.tokens && targets.length === original.tokens.length
      ? original.tokens.map((token) => (token.logprob === null ? null : Math.exp(token.logprob)))
      : null;
  const hierarchical = options.hierarchical
    ? options.hierarchical === true
      ? {}
      : options.hierarchical
    : null;
  const methodId = hierarchical ? "api_hierarchical_perturbation" : "api_perturbation";
  const results = strategyIds.map((strategy, m) => {
    const sequence: SequenceAttribution = {
      sourceText: prompt,
      targetText: original.text,
      source,
      target,
      sourceAttributions: matrices[m]!,
      targetAttributions: null,
      stepScores: probabilities ? { probability: probabilities } : {},
      extras: {
        unitScores: unitTotals[m],
        ...(strategy === "cosine" && !hierarchical ? { sentenceScores: sentences[m] } : {}),
        ...(stages ? { stages: stages.map((chunks) => chunks.length) } : {}),
      },
      aggregation: [],
    };
    const result: AttributionResult = {
      schemaVersion: SCHEMA_VERSION,
      info: {
        model: { id: endpoint.info.model, architecture: "api" },
        method: {
          id: methodId,
          parameters: {
            unit: options.unit ?? "word",
            perturbation: options.perturbation.id,
            ...options.perturbation.parameters,
            maxNewTokens: maxTokens,
            ...(hierarchical ? { hierarchical } : {}),
          },
        },
        attributedFunction: {
          id: strategy,
          parameters: {
            ...(options.locationInvariant !== undefined
              ? { locationInvariant: options.locationInvariant }
              : {}),
            ...(options.abs !== undefined ? { abs: options.abs } : {}),
          },
        },
        toolVersion: TOOL_VERSION,
        startedAt,
        durationMs: Date.now() - started,
        extra: {
          endpoint: { ...endpoint.info },
          requests,
          tokens: { prompt: promptTokens, completion: completionTokens },
          ...(cost !== null ? { costEstimateUsd: cost } : {}),
        },
      },
      sequences: [sequence],
    };
    return { strategy, result };
  });
  log.add({
    prompt,
    output: original.text,
    unit: options.unit ?? "word",
    perturbation: options.perturbation.description,
    strategies: strategyIds,
    method: methodId,
    requests: sent,
    durationMs: Date.now() - started,
    units: units.map((unit) => unit.text),
    targets: targets.map((token) => token.text),
    unitScores: Object.fromEntries(strategyIds.map((id, m) => [id, unitTotals[m]!])),
    matrices: Object.fromEntries(strategyIds.map((id, m) => [id, matrices[m]!])),
    perturbations: records.sort((a, b) => a.depth - b.depth || a.units[0]! - b.units[0]!),
  });
  return { results, log, requests };
}
