import {
  assertCapabilities,
  type Capability,
  type DenseTensor,
  type ExecutionInfo,
  type ForwardRequest,
  type ForwardResult,
  type LanguageModel,
  type ModelInfo,
  type ModelInputs,
  type Taps,
  TokenscopeError,
  throwIfAborted,
} from "@tokenscope/core";
import type { SessionOptions, TensorRuntime } from "@tokenscope/tensor-backends";
import {
  attentionProbsName,
  decoderTensorNames,
  mlpName,
  residualName,
  valueMaskName,
  valuesName,
} from "../graphs/tensor-names.ts";
import { tokenEmbeddingWidth } from "../weights/names.ts";
import type { DecoderWeights } from "../weights/types.ts";
import { createWeightFile, type WeightFileStorage, type WeightPrecision } from "../weights/weight-file.ts";
import { checkEmbeddingInputs, denseTensor, inputFeeds, inputShape, positionFeed } from "./feeds.ts";
import { generateTokens } from "./generate.ts";
import { createGradientRunner } from "./gradients.ts";
import { createGraphSessions, type GraphVariant } from "./graph-sessions.ts";
import { createKvCacheDecoder } from "./kv-cache-decoder.ts";
import { residualFeeds, residualReplacement } from "./residual-replacement.ts";
import type { TextTokenizer } from "./text-tokenizer.ts";
import { tokenEmbedding } from "./token-embeddings.ts";

/** Options of {@link createOnnxLanguageModel}. */
export interface OnnxLanguageModelOptions {
  /** The reference the model was loaded from (path or hub id). */
  id: string;
  revision?: string;
  weights: DecoderWeights;
  tokenizer: TextTokenizer;
  runtime: TensorRuntime;
  sessionOptions?: SessionOptions;
  /** Where the model runs, as the loader found it (stored in `info`). */
  execution?: ExecutionInfo;
  /**
   * Hold the graphs' matrices in this file instead of in memory (weights/weight-file.ts): ONNX Runtime
   * maps it, so all sessions share one copy, and the JS heap keeps none of them (token embedding rows
   * are read from the file as inputs need them).
   * The model deletes the file when disposed. Needs a runtime that reads external data from a folder
   * (onnxruntime-node).
   */
  weightStorage?: WeightFileStorage;
  /**
   * With `weightStorage`: `"stored"` (default) files a checkpoint's float16 / bfloat16 matrices in 16
   * bits, widened to fp32 at each product; `"float32"` widens them at load (twice the memory, no
   * cast per run).
   */
  weightPrecision?: WeightPrecision;
}

const noTaps = { attention: false, values: false, residual: false, mlp: false };
/** The graph generation runs: new tokens over a KV cache, logits at the last position only. */
const generationVariant: GraphVariant = {
  input: "ids",
  gatherLogits: true,
  valueZeroing: false,
  taps: noTaps,
  kvCache: true,
};

/**
 * A causal language model executed by ONNX Runtime from a graph tokenscope built from its weights:
 * forward passes with taps and value-zeroing masks, exact gradients from the differentiated graph,
 * and generation. Implements core's {@link LanguageModel} with every capability.
 */
export function createOnnxLanguageModel(options: OnnxLanguageModelOptions): LanguageModel {
  // Closures below must not hold `options`: its weights are the loader's, every value in memory.
  const { id, tokenizer } = options;
  const config = options.weights.config;
  const embedding = tokenEmbedding(options.weights);
  // The model's own map: a weight file drops the values of what it holds from it, not from the caller's.
  const weights: DecoderWeights = { config, tensors: new Map(options.weights.tensors) };
  const weightFile = options.weightStorage
    ? createWeightFile(weights.tensors, options.weightStorage, {
        ...(options.weightPrecision ? { precision: options.weightPrecision } : {}),
      })
    : undefined;
  const hidden = config.hiddenSize;
  // The token rows' width: the hidden size, except for opt-350m's narrower embeddings.
  const width = tokenEmbeddingWidth(config);
  /** Row `id` of the token embedding table: from the weight file, else from memory. */
  const embeddingRow = (id: number): Float32Array =>
    weightFile?.row(embedding.name, id) ?? embedding.tensor.data.subarray(id * width, (id + 1) * width);
  const sessions = createGraphSessions(weights, options.runtime, options.sessionOptions ?? {}, weightFile);
  const capabilities = new Set<Capability>([
    "tokenize",
    "embed",
    "forward",
    "gradients",
    "gradients.layer",
    "gradients.recompute",
    "taps.attention",
    "taps.values",
    "taps.residual",
    "taps.mlp",
    "interventions.valueZeroing",
    "interventions.embeddings",
    "interventions.residual",
    "generate",
  ]);
  if (tokenizer.applyChatTemplate) capabilities.add("chatTemplate");
  const info: ModelInfo = {
    id,
    ...(options.revision ? { revision: options.revision } : {}),
    architecture: config.architecture,
    vocabSize: config.vocabSize,
    hiddenSize: hidden,
    ...(width === hidden ? {} : { embeddingSize: width }),
    numLayers: config.numLayers,
    numHeads: config.numHeads,
    numKeyValueHeads: config.numKeyValueHeads,
    contextLength: config.contextLength,
    encoderDecoder: false,
    specialTokens: tokenizer.specialTokens,
    ...(options.execution ? { execution: options.execution } : {}),
  };

  function embedRows(ids: number[][]): DenseTensor<Float32Array> {
    const seq = ids[0]?.length ?? 0;
    const data = new Float32Array(ids.length * seq * width);
    ids.forEach((row, b) => {
      row.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= config.vocabSize) {
          throw new TokenscopeError(
            "INVALID_INPUT",
            `Token id ${id} is outside the vocabulary [0, ${config.vocabSize}).`,
          );
        }
        data.set(embeddingRow(id), (b * seq + t) * width);
      });
    });
    return { data, dims: [ids.length, seq, width] };
  }

  function checkLength(inputs: ModelInputs): void {
    checkEmbeddingInputs(inputs, [], width);
    const { seq } = inputShape(inputs);
    if ("ids" in inputs) {
      for (const row of inputs.ids) {
        const bad = row.find((id) => !Number.isInteger(id) || id < 0 || id >= config.vocabSize);
        if (bad !== undefined) {
          throw new TokenscopeError(
            "INVALID_INPUT",
            `Token id ${bad} is outside the vocabulary [0, ${config.vocabSize}).`,
          );
        }
      }
    }
    if (seq === 0)
      throw new TokenscopeError("INVALID_INPUT", "The input is empty.", { hint: "Give at least one token." });
    if (seq > config.contextLength) {
      throw new TokenscopeError(
        "PROMPT_TOO_LONG",
        `The input has ${seq} tokens but ${id} takes at most ${config.contextLength}.`,
        {
          hint: "Shorten the prompt or the target.",
          details: { tokens: seq, contextLength: config.contextLength },
        },
      );
    }
  }

  function layersOf(selection: number[] | undefined): number[] {
    return selection ?? Array.from({ length: config.numLayers }, (_, layer) => layer);
  }

  async function forward(request: ForwardRequest): Promise<ForwardResult> {
    throwIfAborted(request.signal);
    let inputs = request.inputs;
    checkLength(inputs);
    const { batch, seq } = inputShape(inputs);
    const replacements = (request.interventions ?? []).filter((change) => change.kind === "replaceEmbedding");
    checkEmbeddingInputs(inputs, replacements, width);
    if (replacements.length > 0) {
      const embeddings =
        "ids" in inputs
          ? embedRows(inputs.ids)
          : { data: Float32Array.from(inputs.embeddings.data), dims: inputs.embeddings.dims };
      for (const change of replacements)
        embeddings.data.set(change.embedding, (change.batch * seq + change.position) * width);
      inputs = { embeddings, ...(inputs.attentionMask ? { attentionMask: inputs.attentionMask } : {}) };
    }
    const zeroings = (request.interventions ?? []).filter((change) => change.kind === "zeroValues");
    const taps = request.taps;
    if (taps?.stack !== undefined || zeroings.some((change) => change.stack !== undefined)) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `${id} is a decoder-only model: taps and value zeroing take no \`stack\` (encoder, decoder or cross), which only encoder-decoder models have.`,
        { hint: "Leave `stack` out: a decoder-only model has one stack of layers." },
      );
    }
    const replacement = residualReplacement(request.interventions, {
      batch,
      seq,
      hidden,
      numLayers: config.numLayers,
    });
    if (replacement && (taps || zeroings.length > 0)) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        "replaceResidual cannot be combined with taps or value zeroing in one forward pass.",
        { hint: "Run the replaced residual alone; tap or zero values in a separate call." },
      );
    }
    const variant: GraphVariant = {
      input: "ids" in inputs ? "ids" : "embeds",
      gatherLogits: request.positions !== undefined,
      valueZeroing: zeroings.length > 0,
      taps: taps
        ? { attention: !!taps.attention, values: !!taps.values, residual: !!taps.residual, mlp: !!taps.mlp }
        : noTaps,
      ...(replacement ? { residualInput: replacement.layer } : {}),
    };
    const feeds = inputFeeds(inputs);
    if (request.positions) feeds[decoderTensorNames.logitPositions] = positionFeed(request.positions);
    if (variant.valueZeroing) {
      for (let layer = 0; layer < config.numLayers; layer++) {
        const mask = new Float32Array(batch * config.numHeads * seq).fill(1);
        for (const change of zeroings) {
          if (change.kind !== "zeroValues" || change.layer !== layer) continue;
          for (const b of change.batch === undefined
            ? Array.from({ length: batch }, (_, row) => row)
            : [change.batch]) {
            for (const head of change.heads ?? Array.from({ length: config.numHeads }, (_, h) => h)) {
              for (const position of change.positions)
                mask[(b * config.numHeads + head) * seq + position] = 0;
            }
          }
        }
        feeds[valueMaskName(layer)] = {
          dataType: "float32",
          dims: [batch, config.numHeads, seq],
          data: mask,
        };
      }
    }
    const session = await sessions.get(variant);
    const outputs = await session.run(
      replacement ? residualFeeds(feeds, replacement, session.inputNames) : feeds,
    );
    const layers = layersOf(taps?.layers);
    const collect = (wanted: boolean | undefined, name: (layer: number) => string) =>
      wanted ? layers.map((layer) => denseTensor(outputs[name(layer)]!)) : undefined;
    const tapped: Taps = {};
    const attention = collect(taps?.attention, attentionProbsName);
    if (attention) tapped.attention = attention;
    const values = collect(taps?.values, valuesName);
    if (values) tapped.values = values;
    const residual = collect(taps?.residual, residualName);
    if (residual) tapped.residual = residual;
    const mlp = collect(taps?.mlp, mlpName);
    if (mlp) tapped.mlp = mlp;
    return { logits: denseTensor(outputs[decoderTensorNames.logits]!), ...(taps ? { taps: tapped } : {}) };
  }

  const gradients = createGradientRunner({ config, sessions, forward, embedRows, checkInputs: checkLength });

  const model: LanguageModel = {
    info,
    capabilities,
    tokenize: async (text, tokenizeOptions = {}) => ({
      text,
      tokens: await tokenizer.encode(text, {
        addSpecialTokens: tokenizeOptions.addSpecialTokens ?? true,
        ...(tokenizeOptions.continuation ? { continuation: true } : {}),
      }),
    }),
    detokenize: (ids) => tokenizer.decode(ids),
    decodeTokens: (ids, decodeOptions = {}) => tokenizer.decodeTokens(ids, decodeOptions.after ?? []),
    embed: async (ids) => embedRows(ids),
    forward,
    gradients,
    generate: (promptIds, generation = {}) => {
      assertCapabilities(model, ["forward"], "generate");
      const decoder = createKvCacheDecoder({
        config,
        session: () => sessions.get(generationVariant),
        modelId: id,
      });
      return generateTokens(model, promptIds, generation, decoder);
    },
    dispose: () => sessions.dispose(),
  };
  if (tokenizer.applyChatTemplate) {
    const apply = tokenizer.applyChatTemplate.bind(tokenizer);
    model.applyChatTemplate = (messages, templateOptions) => apply(messages, templateOptions);
  }
  return model;
}
