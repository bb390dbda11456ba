import {
  buildGradientGraph,
  castWeightsAtUse,
  type RecomputeSegment,
  type RuntimeSession,
  type SessionOptions,
  type TensorRuntime,
} from "@tokenscope/tensor-backends";
import { buildDecoderGraph } from "../graphs/build-decoder-graph.ts";
import { decoderTensorNames, residualName } from "../graphs/tensor-names.ts";
import type { DecoderGraphOptions } from "../graphs/types.ts";
import type { DecoderWeights } from "../weights/types.ts";
import type { WeightFile } from "../weights/weight-file.ts";
import { appendObjective, type GraphObjective, objectiveTensorNames } from "./objective-graph.ts";

/** One compiled variant of the model's graph. */
export interface GraphVariant {
  input: "ids" | "embeds";
  gatherLogits: boolean;
  valueZeroing: boolean;
  taps: { attention: boolean; values: boolean; residual: boolean; mlp: boolean };
  /** Incremental decoding with `past_*` inputs and `present_*` outputs (graphs/README.md). */
  kvCache?: boolean;
  /**
   * Differentiate the logits (or the `objective`, when the variant has one) with respect to the input
   * embeddings or a layer's residual stream; with `seeds`, K vector-Jacobian products against one
   * forward pass (seeds [K, ...logits or objective]; "dynamic": K read from the seed feed).
   */
  gradient?: ({ wrt: "embeddings" } | { wrt: "residual"; layer: number }) & {
    seeds?: number | "dynamic";
  };
  /** A built-in step function computed in the graph from the gathered logits (objective-graph.ts). */
  objective?: GraphObjective;
  /** Start from the residual stream after this layer, fed as input `residual.{layer}` (no token input). */
  residualInput?: number;
  /** Gradient variants: recompute each layer's activations in the backward pass (autodiff/recompute.ts). */
  recompute?: boolean;
}

/** Name of the gradient output of a variant, and of the tensor differentiated. */
export function gradientTensorName(gradient: NonNullable<GraphVariant["gradient"]>): string {
  return gradient.wrt === "embeddings" ? decoderTensorNames.inputsEmbeds : residualName(gradient.layer);
}

/**
 * Builds graph variants on first use and keeps one runtime session per variant: the graph with taps,
 * value masks or a backward pass is only built when a request needs it. With `weightFile`, every
 * variant's matrices are external data in that one file, which the sessions map and share.
 */
export function createGraphSessions(
  weights: DecoderWeights,
  runtime: TensorRuntime,
  baseOptions: SessionOptions,
  weightFile?: WeightFile,
) {
  const sessions = new Map<string, Promise<RuntimeSession>>();
  const sessionOptions: SessionOptions = weightFile
    ? { ...baseOptions, externalDataFolder: weightFile.folder }
    : baseOptions;

  function build(variant: GraphVariant): Promise<RuntimeSession> {
    const gradientLayer = variant.gradient?.wrt === "residual" ? variant.gradient.layer : undefined;
    // A residual that is the graph's input is differentiated as an input, not tapped.
    const residualLayers =
      gradientLayer !== undefined
        ? gradientLayer === variant.residualInput
          ? false
          : [gradientLayer]
        : !!variant.taps.residual;
    const options: DecoderGraphOptions = {
      input: variant.input,
      gatherLogits: variant.gatherLogits,
      valueZeroing: variant.valueZeroing,
      ...(variant.kvCache ? { kvCache: true } : {}),
      ...(variant.residualInput === undefined ? {} : { residualInput: variant.residualInput }),
      ...(weightFile ? { weightFile } : {}),
      taps: {
        attentionProbs: variant.taps.attention,
        values: variant.taps.values,
        residual: residualLayers,
        mlp: variant.taps.mlp,
      },
    };
    const built = buildDecoderGraph(weights, options).model;
    const firstLayer = variant.residualInput === undefined ? 0 : variant.residualInput + 1;
    const graph = variant.objective ? appendObjective(built, variant.objective) : built;
    const model = variant.gradient
      ? buildGradientGraph(graph, {
          of: [variant.objective ? objectiveTensorNames.objective : decoderTensorNames.logits],
          wrt: [gradientTensorName(variant.gradient)],
          ...(variant.gradient.seeds ? { seeds: variant.gradient.seeds } : {}),
          ...(variant.recompute ? { recompute: layerSegments(firstLayer, weights.config.numLayers) } : {}),
        })
      : graph;
    // Filed 16-bit matrices are widened at each product, not once for the whole session.
    return runtime.createSession(
      weightFile ? { ...model, graph: castWeightsAtUse(model.graph) } : model,
      sessionOptions,
    );
  }

  /** What a variant serves: generation over the KV cache, or analysis (forward passes, taps, gradients). */
  const role = (variant: GraphVariant) => (variant.kvCache ? "generation" : "analysis");
  const roles = new Map<string, "generation" | "analysis">();

  /**
   * Mapped weights: each session maps the whole weight file, so two live sessions count its pages
   * twice in RSS, and each keeps its own arena. Generation and analysis come one after the other
   * (generate, then attribute), so making a session of one role closes the other role's sessions,
   * once their runs in flight end; asking for one again rebuilds it.
   */
  function releaseOtherRole(wanted: "generation" | "analysis"): void {
    if (!weightFile) return;
    for (const [key, session] of sessions) {
      if (roles.get(key) === wanted) continue;
      sessions.delete(key);
      roles.delete(key);
      void session.then((open) => open.dispose()).catch(() => undefined);
    }
  }

  return {
    /** The session of `variant`, built on first use. */
    get(variant: GraphVariant): Promise<RuntimeSession> {
      const key = JSON.stringify(variant);
      let session = sessions.get(key);
      if (!session) {
        releaseOtherRole(role(variant));
        session = build(variant).then(closingWhenIdle);
        sessions.set(key, session);
        roles.set(key, role(variant));
        // A failed build must not poison the cache: the next request tries again.
        session.catch(() => {
          if (sessions.get(key) === session) sessions.delete(key);
        });
      }
      return session;
    },
    async dispose(): Promise<void> {
      const all = [...sessions.values()];
      sessions.clear();
      roles.clear();
      await Promise.allSettled(all.map(async (session) => (await session).dispose()));
      await weightFile?.remove();
    },
  };
}

/**
 * `session` with `dispose()` deferred until its runs in flight have settled, so a session closed
 * while another caller still runs it (a generation step) finishes that run first.
 */
function closingWhenIdle(session: RuntimeSession): RuntimeSession {
  let running = 0;
  let closing: (() => void) | undefined;
  let closed: Promise<void> | undefined;
  return {
    get inputNames() {
      return session.inputNames;
    },
    get outputNames() {
      return session.outputNames;
    },
    get providers() {
      return session.providers;
    },
    get fallbacks() {
      return session.fallbacks;
    },
    async run(feeds, fetches) {
      running++;
      try {
        return await session.run(feeds, fetches);
      } finally {
        running--;
        if (running === 0) closing?.();
      }
    },
    dispose() {
      closed ??= new Promise<void>((resolve) => {
        closing = resolve;
        if (running === 0) resolve();
      }).then(() => session.dispose());
      return closed;
    },
  };
}

/** One recomputed segment per layer, from the stream entering it to the stream leaving it. */
function layerSegments(firstLayer: number, numLayers: number): RecomputeSegment[] {
  return Array.from({ length: numLayers - firstLayer }, (_, index) => {
    const layer = firstLayer + index;
    return {
      input: layer === 0 ? decoderTensorNames.embeddings : residualName(layer - 1),
      output: residualName(layer),
    };
  });
}

/** The session cache of one model. */
export type GraphSessions = ReturnType<typeof createGraphSessions>;
