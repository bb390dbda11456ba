import {
  assertCapabilities,
  type Capability,
  type DenseTensor,
  type ExecutionInfo,
  type ForwardRequest,
  type ForwardResult,
  type GradientRequest,
  type LanguageModel,
  type ModelInfo,
  type ModelInputs,
  TokenscopeError,
  throwIfAborted,
} from "@tokenscope/core";
import {
  buildGradientGraph,
  isTensorBackendError,
  type OnnxModel,
  type RuntimeSession,
  type RuntimeTensor,
  rewriteContribOps,
  type SessionOptions,
  type TensorRuntime,
} from "@tokenscope/tensor-backends";
import { inputFeeds, inputShape, positionFeed } from "../language-model/feeds.ts";
import { generateTokens } from "../language-model/generate.ts";
import { createGradientRunner } from "../language-model/gradients.ts";
import type { GraphSessions, GraphVariant } from "../language-model/graph-sessions.ts";
import { createRecomputeDecoder } from "../language-model/incremental-decoder.ts";
import { appendObjective, objectiveTensorNames } from "../language-model/objective-graph.ts";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import { numbersToF16Bits } from "../weights/half-floats.ts";
import type { DecoderConfig } from "../weights/types.ts";
import { checkDifferentiable } from "./differentiability.ts";
import { buildEmbedsGraph, type EmbedsGraph, embedsGraphNames, findEmbeddingLookup } from "./embeds-graph.ts";
import { createExportDecoder, float32Values } from "./export-decoder.ts";
import { type ExportInterface, emptyCacheTensor, readExportInterface } from "./export-interface.ts";

/** The sizes of an export's model, from its config.json and graph. */
export type ExportConfig = Pick<
  DecoderConfig,
  | "architecture"
  | "vocabSize"
  | "hiddenSize"
  | "numLayers"
  | "numHeads"
  | "numKeyValueHeads"
  | "headDim"
  | "contextLength"
>;

/** Options of {@link createOnnxExportModel}. */
export interface OnnxExportModelOptions {
  /** The reference the model was loaded from. */
  id: string;
  /** The export's graph, external data loaded. */
  model: OnnxModel;
  /** Which file it came from, for messages. */
  source: string;
  config: ExportConfig;
  tokenizer: TextTokenizer;
  runtime: TensorRuntime;
  sessionOptions?: SessionOptions;
  /** Where the model runs, as the loader found it (stored in `info`). */
  execution?: ExecutionInfo;
}

function missingCapability(modelId: string, capability: Capability, reason: string): TokenscopeError {
  return new TokenscopeError(
    "MISSING_CAPABILITY",
    `Model "${modelId}" cannot provide "${capability}": ${reason}.`,
    {
      hint: "Pick a perturbation or attention method (they need forward passes only), or load the model from its weights.",
      details: { model: modelId, missing: [capability] },
    },
  );
}

/**
 * A causal language model over a stock transformers.js ONNX export, run as exported by ONNX Runtime:
 * tokenize, forward, generate (with the export's present → past cache). Where the embedding lookup is
 * a plain Gather and every operator between the embeddings and the logits has a gradient rule once
 * contrib operators are rewritten, also embed and gradients with respect to the input embeddings.
 * Otherwise a gradient request is MISSING_CAPABILITY naming the operator in the way.
 */
export function createOnnxExportModel(options: OnnxExportModelOptions): LanguageModel {
  const { config, tokenizer, runtime } = options;
  const sessionOptions = options.sessionOptions ?? {};
  const exportInterface: ExportInterface = readExportInterface(options.model, options.source);
  const kvHeads = exportInterface.kvHeads ?? config.numKeyValueHeads;
  const headDim = exportInterface.headDim ?? config.headDim;
  const vocab = config.vocabSize;

  const lookup = findEmbeddingLookup(options.model);
  const embeds: EmbedsGraph | undefined = lookup ? buildEmbedsGraph(options.model, lookup) : undefined;
  const hidden = lookup?.table.dims[1] ?? config.hiddenSize;
  let gradientBlocker: string | undefined;
  let rewritten: OnnxModel | undefined;
  if (!lookup || !embeds) {
    gradientBlocker =
      "this ONNX export has no embedding lookup tokenscope can replace (a Gather of input_ids from a [vocab, hidden] float initializer; quantized tables are not); load the model from its safetensors instead";
  } else if (lookup.table.dataType !== "float32") {
    gradientBlocker = `this ONNX export stores its embeddings as ${lookup.table.dataType}; gradients need the fp32 export (dtype: "fp32") or the safetensors weights`;
  } else {
    rewritten = rewriteContribOps(embeds.model);
    const check = checkDifferentiable(rewritten);
    if (!check.ok) gradientBlocker = check.reason;
  }
  const table = lookup
    ? float32Values({ dataType: lookup.table.dataType, dims: lookup.table.dims, data: lookup.table.data! })
    : undefined;

  const sessions = new Map<string, Promise<RuntimeSession>>();
  function session(key: string, build: () => OnnxModel): Promise<RuntimeSession> {
    let found = sessions.get(key);
    if (!found) {
      found = Promise.resolve().then(() => runtime.createSession(build(), sessionOptions));
      sessions.set(key, found);
      found.catch(() => sessions.delete(key));
    }
    return found;
  }
  const idsSession = () => session("ids", () => options.model);
  const embedsSession = () => session("embeds", () => embeds!.model);

  /** Feeds `feeds` filtered to the session's inputs, plus empty caches and shape-only ids. */
  async function runWithCache(active: RuntimeSession, feeds: Record<string, RuntimeTensor>) {
    const batch = feeds["attention_mask"]!.dims[0]!;
    const seq = feeds["attention_mask"]!.dims[1]!;
    const empty = emptyCacheTensor(exportInterface.cacheType, batch, kvHeads, headDim);
    const all: Record<string, RuntimeTensor> = { ...feeds };
    for (const layer of exportInterface.cache) {
      all[layer.pastKey] = empty;
      all[layer.pastValue] = empty;
    }
    if (!("input_ids" in all)) {
      all["input_ids"] = { dataType: "int64", dims: [batch, seq], data: new BigInt64Array(batch * seq) };
    }
    const wanted = new Set(active.inputNames);
    const fetches = active.outputNames.filter((name) => !name.startsWith("present."));
    return active.run(Object.fromEntries(Object.entries(all).filter(([name]) => wanted.has(name))), fetches);
  }

  function checkInputs(inputs: ModelInputs): void {
    const { seq } = inputShape(inputs);
    if (seq === 0)
      throw new TokenscopeError("INVALID_INPUT", "The input is empty.", { hint: "Give at least one token." });
    if ("ids" in inputs) {
      const bad = inputs.ids.flat().find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
      if (bad !== undefined) {
        throw new TokenscopeError(
          "INVALID_INPUT",
          `Token id ${bad} is outside the vocabulary [0, ${vocab}).`,
          {
            hint: "Pass ids from the model's tokenizer.",
          },
        );
      }
    } else if (!embeds) {
      throw missingCapability(options.id, "embed", gradientBlocker!);
    }
    if (seq > config.contextLength) {
      throw new TokenscopeError(
        "PROMPT_TOO_LONG",
        `The input has ${seq} tokens but ${options.id} takes at most ${config.contextLength}.`,
        {
          hint: "Shorten the prompt or the target.",
          details: { tokens: seq, contextLength: config.contextLength },
        },
      );
    }
  }

  function embedRows(ids: number[][]): DenseTensor<Float32Array> {
    if (!table) throw missingCapability(options.id, "embed", gradientBlocker!);
    const seq = ids[0]?.length ?? 0;
    const data = new Float32Array(ids.length * seq * hidden);
    ids.forEach((row, b) => {
      row.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= vocab) {
          throw new TokenscopeError(
            "INVALID_INPUT",
            `Token id ${id} is outside the vocabulary [0, ${vocab}).`,
          );
        }
        data.set(table.subarray(id * hidden, (id + 1) * hidden), (b * seq + t) * hidden);
      });
    });
    return { data, dims: [ids.length, seq, hidden] };
  }

  async function forward(request: ForwardRequest): Promise<ForwardResult> {
    throwIfAborted(request.signal);
    if (request.taps || (request.interventions?.length ?? 0) > 0) {
      throw missingCapability(
        options.id,
        request.taps ? "taps.attention" : "interventions.valueZeroing",
        "a stock ONNX export exposes neither internal tensors nor intervention inputs",
      );
    }
    const inputs = request.inputs;
    checkInputs(inputs);
    const { batch, seq } = inputShape(inputs);
    const outside = request.positions?.flat().find((p) => !Number.isInteger(p) || p < 0 || p >= seq);
    if (request.positions && (request.positions.length !== batch || outside !== undefined)) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Logit positions must be one row per batch row, each in [0, ${seq}); got ${outside ?? `${request.positions.length} rows`}.`,
        { hint: "Give positions inside the input sequence." },
      );
    }
    const feeds = inputFeeds(inputs);
    if ("ids" in inputs) {
      const outputs = await runWithCache(await idsSession(), feeds);
      const all = float32Values(outputs["logits"]!);
      if (!request.positions) return { logits: { data: all, dims: [batch, seq, vocab] } };
      const width = request.positions[0]?.length ?? 0;
      const data = new Float32Array(batch * width * vocab);
      request.positions.forEach((row, b) => {
        row.forEach((position, p) => {
          data.set(
            all.subarray((b * seq + position) * vocab, (b * seq + position + 1) * vocab),
            (b * width + p) * vocab,
          );
        });
      });
      return { logits: { data, dims: [batch, width, vocab] } };
    }
    const embedsFeed = feeds[embedsGraphNames.inputsEmbeds]!;
    if (lookup!.table.dataType === "float16") {
      feeds[embedsGraphNames.inputsEmbeds] = {
        ...embedsFeed,
        dataType: "float16",
        data: numbersToF16Bits(embedsFeed.data as Float32Array),
      };
    }
    const positions =
      request.positions ?? Array.from({ length: batch }, () => Array.from({ length: seq }, (_, t) => t));
    feeds[embedsGraphNames.logitPositions] = positionFeed(positions);
    const outputs = await runWithCache(await embedsSession(), feeds);
    const logits = outputs["logits"]!;
    return { logits: { data: float32Values(logits), dims: logits.dims } };
  }

  // The gradient runner asks for graph variants; an export has one: gradients w.r.t. the embeddings.
  const gradientSessions: GraphSessions = {
    async get(variant: GraphVariant) {
      if (variant.gradient?.wrt !== "embeddings") {
        throw missingCapability(
          options.id,
          "gradients.layer",
          "a stock ONNX export has no residual-stream tensors tokenscope knows",
        );
      }
      const seeds = variant.gradient.seeds;
      const objective = variant.objective;
      const key = `gradient:${seeds ?? 0}:${objective ? JSON.stringify(objective) : "logits"}`;
      const active = await session(key, () => {
        try {
          return buildGradientGraph(objective ? appendObjective(rewritten!, objective) : rewritten!, {
            of: [objective ? objectiveTensorNames.objective : "logits"],
            wrt: [embedsGraphNames.inputsEmbeds],
            ...(seeds ? { seeds } : {}),
          });
        } catch (error) {
          if (isTensorBackendError(error, "UNSUPPORTED_OPERATOR")) {
            throw missingCapability(options.id, "gradients", error.message);
          }
          throw error;
        }
      });
      return { ...active, run: (feeds: Record<string, RuntimeTensor>) => runWithCache(active, feeds) };
    },
    async dispose() {},
  };
  const runGradients = createGradientRunner({
    config: config as DecoderConfig,
    sessions: gradientSessions,
    forward,
    embedRows,
    checkInputs,
  });

  const capabilities = new Set<Capability>(["tokenize", "forward", "generate"]);
  if (!gradientBlocker) {
    capabilities.add("embed");
    capabilities.add("gradients");
  }
  if (tokenizer.applyChatTemplate) capabilities.add("chatTemplate");
  const info: ModelInfo = {
    id: options.id,
    architecture: config.architecture,
    vocabSize: vocab,
    hiddenSize: hidden,
    numLayers: config.numLayers,
    numHeads: config.numHeads,
    numKeyValueHeads: kvHeads,
    contextLength: config.contextLength,
    encoderDecoder: false,
    specialTokens: tokenizer.specialTokens,
    ...(options.execution ? { execution: options.execution } : {}),
  };
  const hasPresent =
    exportInterface.cache.length > 0 && exportInterface.cache.every((layer) => layer.presentKey);

  const model: LanguageModel = {
    info,
    capabilities,
    capabilityNotes: {
      ...(gradientBlocker ? { gradients: gradientBlocker, embed: gradientBlocker } : {}),
      "gradients.layer":
        "a stock ONNX export has no residual-stream tensors tokenscope knows; load the model from its weights",
      "taps.attention":
        "a stock ONNX export does not expose attention probabilities; load the model from its weights",
      "interventions.valueZeroing":
        "a stock ONNX export takes no value masks; load the model from its weights",
    },
    tokenize: async (text, tokenizeOptions = {}) => ({
      text,
      tokens: await tokenizer.encode(text, {
        addSpecialTokens: tokenizeOptions.addSpecialTokens ?? true,
        ...(tokenizeOptions.continuation ? { continuation: true } : {}),
      }),
    }),
    detokenize: (ids) => tokenizer.decode(ids),
    decodeTokens: (ids, decodeOptions = {}) => tokenizer.decodeTokens(ids, decodeOptions.after ?? []),
    forward,
    // Kept as a member even when not declared, so that a direct request says which operator is in the way.
    gradients: async (request: GradientRequest) => {
      if (gradientBlocker) throw missingCapability(options.id, "gradients", gradientBlocker);
      if (request.wrt?.kind === "residual") {
        throw missingCapability(
          options.id,
          "gradients.layer",
          "a stock ONNX export has no residual-stream tensors tokenscope knows",
        );
      }
      return runGradients(request);
    },
    generate: (promptIds, generation = {}) => {
      assertCapabilities(model, ["forward"], "generate");
      const decoder = hasPresent
        ? createExportDecoder({
            session: idsSession,
            exportInterface,
            kvHeads,
            headDim,
            vocabSize: vocab,
            contextLength: config.contextLength,
            modelId: options.id,
          })
        : createRecomputeDecoder(model);
      return generateTokens(model, promptIds, generation, decoder);
    },
    dispose: async () => {
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(all.map(async (active) => (await active).dispose()));
    },
  };
  if (!gradientBlocker) model.embed = async (ids) => embedRows(ids);
  if (tokenizer.applyChatTemplate) {
    const apply = tokenizer.applyChatTemplate.bind(tokenizer);
    model.applyChatTemplate = (messages, templateOptions) => apply(messages, templateOptions);
  }
  return model;
}
