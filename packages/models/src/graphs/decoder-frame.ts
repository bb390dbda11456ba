import { TokenscopeError } from "@tokenscope/core";
import type { Dim, ValueInfo } from "@tokenscope/tensor-backends";
import { tokenEmbeddingWidth } from "../weights/names.ts";
import type { DecoderConfig, DecoderWeights, RopeStyle } from "../weights/types.ts";
import type { AttentionCache } from "./blocks/attention.ts";
import { attentionAllowed } from "./blocks/attention-mask.ts";
import { embeddings, type TokenInput } from "./blocks/embeddings.ts";
import { gatherPositions, type OutputMatrix, outputLogits } from "./blocks/output-head.ts";
import { type RotaryTables, rotaryTables } from "./blocks/rotary.ts";
import {
  type LongRopeSwitch,
  longRopeSwitch,
  rotaryInverseFrequencies,
} from "./blocks/rotary-frequencies.ts";
import { createGraphContext, type GraphContext } from "./context.ts";
import { checkTapsAfterResidualInput, pruneUnusedInputs, residualInputLayer } from "./residual-input.ts";
import {
  attentionProbsName,
  decoderTensorNames,
  mlpName,
  pastKeyName,
  pastValueName,
  presentKeyName,
  presentValueName,
  residualName,
  valueMaskName,
  valuesName,
} from "./tensor-names.ts";
import type { DecoderGraph, DecoderGraphOptions, LayerSelection } from "./types.ts";

/** What a family's layer function gets besides the incoming residual stream. */
export interface LayerInputs {
  layer: number;
  /** bool [batch, 1, seq, keys]: which keys each query may attend to (keys: past + seq with a cache). */
  allowed: string;
  /** Rotary tables, for families with rotary positions. */
  rotary?: RotaryTables;
  /** `value_mask.{layer}` [batch, heads, keys], when value zeroing is on. */
  valueMask?: string;
  /** The layer's KV cache names, with option `kvCache`; families pass it on to `attention`. */
  cache?: AttentionCache;
  /** The name the layer's output must carry: `residual.{layer}`. */
  output: string;
}

/** Rotary positions of a family: pairing style, rotated dimensions per head, frequencies. */
export interface RotarySpec {
  style: RopeStyle;
  rotaryDim: number;
  inverseFrequencies: Float64Array;
  /** LongRoPE: a second table, picked in the graph from the largest position. */
  longRope?: LongRopeSwitch;
}

/** What distinguishes one decoder family from another; everything else is this frame. */
export interface DecoderFamily {
  /** Graph name (the architecture). */
  name: string;
  /** Token embedding table [vocab, hidden]. */
  tokenTable: string;
  /** Learned position embedding table [context (+ offset), hidden] (GPT-2, OPT). */
  positionTable?: string;
  /** Rows of `positionTable` before position 0: position `p` reads row `p + offset` (OPT: 2). Default 0. */
  positionOffset?: number;
  /** Factor of the token rows, looked up or fed (Gemma: `sqrt(hidden)`); absent: none. */
  tokenScale?: number;
  /**
   * opt-350m: the [hidden, wordEmbeddingSize] matrix that widens the token rows (looked up or fed)
   * before position rows are added; the family's `finalNorm` narrows back for the output.
   */
  projectIn?: string;
  /**
   * The sliding window of each layer (Gemma 2 alternates windowed and full layers); absent means
   * `config.slidingWindow` for every layer.
   */
  slidingWindowOf?(layer: number): number | undefined;
  rotary?: RotarySpec;
  /**
   * Gemma 3: the rotary positions of the layers {@link DecoderFamily.usesLocalRotary} picks (the
   * sliding-window ones), built once beside `rotary`.
   */
  localRotary?: RotarySpec;
  /** Whether layer `layer` rotates by `localRotary` instead of `rotary`. */
  usesLocalRotary?(layer: number): boolean;
  /** Adds one layer to the graph and returns its output, named `inputs.output`. */
  layer(ctx: GraphContext, hidden: string, inputs: LayerInputs): string;
  /** The final norm before the output projection. */
  finalNorm(ctx: GraphContext, hidden: string): string;
  output: OutputMatrix;
  /** Gemma 2's soft cap of the logits, `cap · tanh(z / cap)`; absent: none. */
  finalLogitSoftcap?: number;
}

function invalid(message: string, hint: string, details: Record<string, unknown> = {}): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint, details });
}

/** The rotary spec of a config: `rotaryFraction` (default `defaultFraction`) of each head, scaled frequencies. */
export function rotarySpecOf(config: DecoderConfig, defaultFraction = 1): RotarySpec {
  const fraction = config.rotaryFraction ?? defaultFraction;
  const rotaryDim = Math.floor(config.headDim * fraction);
  if (!(fraction > 0 && fraction <= 1) || rotaryDim < 2 || rotaryDim % 2 !== 0) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `rotaryFraction ${fraction} of head size ${config.headDim} gives ${rotaryDim} rotated dimensions; an even number ≥ 2 is needed.`,
      { hint: "Check rotary_pct / partial_rotary_factor in the model's config.", details: { config } },
    );
  }
  const longRope = longRopeSwitch(rotaryDim, config.ropeTheta, config.ropeScaling);
  return {
    style: config.ropeStyle,
    rotaryDim,
    inverseFrequencies: rotaryInverseFrequencies(rotaryDim, config.ropeTheta, config.ropeScaling),
    ...(longRope === undefined ? {} : { longRope }),
  };
}

function selectedLayers(selection: LayerSelection | undefined, numLayers: number, what: string): number[] {
  if (selection === undefined || selection === false) return [];
  if (selection === true) return Array.from({ length: numLayers }, (_, layer) => layer);
  for (const layer of selection) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= numLayers) {
      throw invalid(
        `taps.${what} names layer ${layer}; the model has layers 0 to ${numLayers - 1}.`,
        "Pass layer indices within the model, or true for all layers.",
        { layer, numLayers },
      );
    }
  }
  return [...new Set(selection)].sort((a, b) => a - b);
}

function checkOptions(options: DecoderGraphOptions): void {
  if (options.input !== undefined && options.input !== "ids" && options.input !== "embeds") {
    throw invalid(
      `input must be "ids" or "embeds", got ${String(options.input)}.`,
      'Pass input: "ids" or "embeds".',
    );
  }
  if (options.kvCache !== undefined && typeof options.kvCache !== "boolean") {
    throw invalid(
      `kvCache must be a boolean, got ${String(options.kvCache)}.`,
      "Pass kvCache: true or false.",
    );
  }
  if (options.dataType !== undefined && options.dataType !== "float32" && options.dataType !== "float64") {
    throw invalid(
      `dataType must be "float32" or "float64", got ${String(options.dataType)}.`,
      'Pass dataType: "float32" (default) or "float64" (gradient checks).',
    );
  }
}

/**
 * Builds a decoder-only LM graph with the interface every family shares (see graphs/README.md):
 * inputs, embeddings, the attention mask and rotary tables (once), the family's layers, optional
 * gathering of logit positions, the final norm, the output projection, the KV cache's `present_*`
 * outputs when asked for, and the requested taps.
 */
export function buildDecoderFrame(
  weights: DecoderWeights,
  options: DecoderGraphOptions,
  family: DecoderFamily,
): DecoderGraph {
  checkOptions(options);
  const config = weights.config;
  const dataType = options.dataType ?? "float32";
  const taps = options.taps ?? {};
  const tapLayers = {
    attentionProbs: selectedLayers(taps.attentionProbs, config.numLayers, "attentionProbs"),
    values: selectedLayers(taps.values, config.numLayers, "values"),
    residual: selectedLayers(taps.residual, config.numLayers, "residual"),
    mlp: selectedLayers(taps.mlp, config.numLayers, "mlp"),
  };
  const residualInput = residualInputLayer(options, config.numLayers);
  if (residualInput !== undefined) checkTapsAfterResidualInput(tapLayers, residualInput);
  const firstLayer = residualInput === undefined ? 0 : residualInput + 1;
  const ctx = createGraphContext(weights, dataType, family.name, options.weightFile);
  const g = ctx.builder;
  const names = decoderTensorNames;
  const kvCache = options.kvCache === true;
  // Keys are everything attention reads: the new tokens, or with a cache the past ones as well.
  const keys: Dim = kvCache ? "total" : "seq";

  // A residual input takes the token input's place (first in the input list).
  const startResidual =
    residualInput === undefined
      ? undefined
      : g.input(residualName(residualInput), dataType, ["batch", "seq", config.hiddenSize]);
  const input: TokenInput | undefined =
    startResidual !== undefined
      ? undefined
      : options.input === "embeds"
        ? {
            kind: "embeds",
            embeds: g.input(names.inputsEmbeds, dataType, ["batch", "seq", tokenEmbeddingWidth(config)]),
          }
        : { kind: "ids", ids: g.input(names.inputIds, "int64", ["batch", "seq"]) };
  const attentionMask = g.input(names.attentionMask, "int64", ["batch", keys]);
  const positionIds = g.input(names.positionIds, "int64", ["batch", "seq"]);
  const logitPositions = options.gatherLogits
    ? g.input(names.logitPositions, "int64", ["batch", "positions"])
    : undefined;
  const valueMasks = Array.from({ length: config.numLayers }, (_, layer) =>
    options.valueZeroing && layer >= firstLayer
      ? g.input(valueMaskName(layer), dataType, ["batch", config.numHeads, keys])
      : undefined,
  );
  const caches = Array.from({ length: config.numLayers }, (_, layer): AttentionCache | undefined => {
    if (!kvCache) return undefined;
    const shape: Dim[] = ["batch", config.numKeyValueHeads, "past", config.headDim];
    return {
      pastKey: g.input(pastKeyName(layer), dataType, shape),
      pastValue: g.input(pastValueName(layer), dataType, shape),
      presentKey: presentKeyName(layer),
      presentValue: presentValueName(layer),
    };
  });

  const embedded =
    input === undefined
      ? undefined
      : embeddings(
          ctx.within("embeddings"),
          input,
          family.tokenTable,
          family.positionTable === undefined
            ? undefined
            : {
                table: family.positionTable,
                positionIds,
                ...(family.positionOffset === undefined ? {} : { offset: family.positionOffset }),
              },
          family.tokenScale,
          family.projectIn,
        );
  const shared = ctx.within("shared");
  // One mask per distinct window, built once and shared by the layers with that window.
  const allowedWithin = (window: number | undefined) =>
    shared.once(`allowed:${window ?? "full"}`, () =>
      attentionAllowed(shared, attentionMask, window, kvCache ? positionIds : undefined),
    );
  const windowOf = family.slidingWindowOf ?? (() => config.slidingWindow);
  const tablesOf = (spec: RotarySpec | undefined) =>
    spec === undefined
      ? undefined
      : rotaryTables(shared, positionIds, spec.inverseFrequencies, spec.style, spec.longRope);
  const rotary = tablesOf(family.rotary);
  const localRotary = tablesOf(family.localRotary);
  const rotaryOf = (layer: number) =>
    localRotary !== undefined && family.usesLocalRotary?.(layer) ? localRotary : rotary;

  let hidden = (startResidual ?? embedded)!;
  for (let layer = firstLayer; layer < config.numLayers; layer++) {
    const valueMask = valueMasks[layer];
    const cache = caches[layer];
    const layerRotary = rotaryOf(layer);
    hidden = family.layer(ctx.within(`layers.${layer}`), hidden, {
      layer,
      allowed: allowedWithin(windowOf(layer)),
      output: residualName(layer),
      ...(layerRotary === undefined ? {} : { rotary: layerRotary }),
      ...(valueMask === undefined ? {} : { valueMask }),
      ...(cache === undefined ? {} : { cache }),
    });
  }
  const head = ctx.within("head");
  if (logitPositions !== undefined) hidden = gatherPositions(head, hidden, logitPositions, config.hiddenSize);
  const logits = outputLogits(
    head,
    family.finalNorm(head, hidden),
    family.output,
    tokenEmbeddingWidth(config),
    family.finalLogitSoftcap,
  );

  const seq: Dim = logitPositions === undefined ? "seq" : "positions";
  const outputs: ValueInfo[] = [{ name: logits, dataType, shape: ["batch", seq, config.vocabSize] }];
  const addOutput = (name: string, shape: Dim[]) => outputs.push({ name, dataType, shape });
  for (const cache of caches) {
    if (cache === undefined) continue;
    addOutput(cache.presentKey, ["batch", config.numKeyValueHeads, "total", config.headDim]);
    addOutput(cache.presentValue, ["batch", config.numKeyValueHeads, "total", config.headDim]);
  }
  if (taps.embeddings) addOutput(names.embeddings, ["batch", "seq", config.hiddenSize]);
  for (const layer of tapLayers.attentionProbs)
    addOutput(attentionProbsName(layer), ["batch", config.numHeads, "seq", keys]);
  for (const layer of tapLayers.values) {
    addOutput(valuesName(layer), ["batch", config.numKeyValueHeads, keys, config.headDim]);
  }
  for (const layer of tapLayers.residual) addOutput(residualName(layer), ["batch", "seq", config.hiddenSize]);
  for (const layer of tapLayers.mlp) addOutput(mlpName(layer), ["batch", "seq", config.intermediateSize]);
  for (const output of outputs) g.output(output.name, output.dataType, output.shape);

  const model = residualInput === undefined ? g.build() : pruneUnusedInputs(g.build());
  model.metadata = {
    "tokenscope.architecture": config.architecture,
    "tokenscope.input": input?.kind ?? "residual",
    "tokenscope.dataType": dataType,
    ...(kvCache ? { "tokenscope.kvCache": "true" } : {}),
    ...(residualInput === undefined ? {} : { "tokenscope.residualInput": String(residualInput) }),
  };
  return {
    model,
    config,
    dataType,
    inputNames: model.graph.inputs.map((value) => value.name),
    outputNames: outputs.map((value) => value.name),
  };
}
