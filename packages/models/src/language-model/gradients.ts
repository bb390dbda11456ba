import {
  type DenseTensor,
  type ForwardRequest,
  type ForwardResult,
  type GradientRequest,
  type GradientResult,
  type ModelInputs,
  TokenscopeError,
  throwIfAborted,
} from "@tokenscope/core";
import type { RuntimeTensor } from "@tokenscope/tensor-backends";
import { decoderTensorNames } from "../graphs/tensor-names.ts";
import type { DecoderConfig } from "../weights/types.ts";
import { denseTensor, inputFeeds, positionFeed } from "./feeds.ts";
import { type GraphSessions, type GraphVariant, gradientTensorName } from "./graph-sessions.ts";
import { runGraphObjective } from "./objective-gradients.ts";
import { graphObjectiveOf } from "./objective-graph.ts";
import { differentiableStepFunction, evaluateObjectiveRow } from "./objective-rows.ts";
import { residualFeeds, residualReplacement } from "./residual-replacement.ts";

/** What the gradient runner needs from its model. */
export interface GradientRunnerDeps {
  config: DecoderConfig;
  sessions: GraphSessions;
  forward(request: ForwardRequest): Promise<ForwardResult>;
  embedRows(ids: number[][]): DenseTensor<Float32Array>;
  checkInputs(inputs: ModelInputs): void;
}

/** Largest seed tensor [K, 1, K, vocab] (bytes) the shared-input path may allocate. */
const SHARED_SEED_BYTES = 256 * 2 ** 20;
const noTaps = { attention: false, values: false, residual: false, mlp: false };

function sameRows(embeddings: DenseTensor, mask: number[][] | undefined): boolean {
  const [batch, seq, hidden] = embeddings.dims as [number, number, number];
  const size = seq * hidden;
  for (let row = 1; row < batch; row++) {
    for (let i = 0; i < size; i++) if (embeddings.data[row * size + i] !== embeddings.data[i]) return false;
    if (mask && mask[row]!.some((flag, t) => flag !== mask[0]![t])) return false;
  }
  return true;
}

/**
 * Gradients of a per-row objective with respect to the input embeddings or a residual stream.
 * Built-in step functions are computed inside the graph and differentiated in one run, each distinct
 * input once (objective-gradients.ts). User-defined ones take two phases: the logits at each row's
 * position (forward), the step function's derivative there (in JS), then one forward+backward run
 * seeded with it; when every row has the same input (all steps of one sequence), both phases run on
 * ONE row and the backward pass computes the K vector-Jacobian products against that single forward.
 */
export function createGradientRunner(deps: GradientRunnerDeps) {
  const { config, sessions } = deps;
  const vocab = config.vocabSize;

  async function rowSeeds(request: GradientRequest, rowLogits: (row: number) => Float32Array) {
    const { objective } = request;
    const rows = objective.positions.length;
    const seeds = new Float32Array(rows * vocab);
    const values = new Float64Array(rows).fill(Number.NaN);
    if (objective.kind === "logitSeeds") {
      seeds.set(objective.seeds.data);
      return { seeds, values };
    }
    for (let row = 0; row < rows; row++) {
      const output = evaluateObjectiveRow(objective, row, rowLogits(row), true);
      values[row] = output.value;
      seeds.set(output.gradLogits!, row * vocab);
    }
    return { seeds, values };
  }

  return async function gradients(request: GradientRequest): Promise<GradientResult> {
    throwIfAborted(request.signal);
    deps.checkInputs(request.inputs);
    const embeddings =
      "ids" in request.inputs ? deps.embedRows(request.inputs.ids) : request.inputs.embeddings;
    const mask = request.inputs.attentionMask;
    const [batch, seq, hidden] = embeddings.dims as [number, number, number];
    const positions = request.objective.positions;
    if (positions.length !== batch) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `The objective has ${positions.length} positions for ${batch} rows.`,
      );
    }
    const wrt = request.wrt ?? { kind: "embeddings" };
    if (
      wrt.kind === "residual" &&
      !(Number.isInteger(wrt.layer) && wrt.layer >= 0 && wrt.layer < config.numLayers)
    ) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Layer ${wrt.layer} does not exist; the model has ${config.numLayers}.`,
      );
    }
    const target =
      wrt.kind === "embeddings"
        ? ({ wrt: "embeddings" } as const)
        : ({ wrt: "residual", layer: wrt.layer } as const);
    const replacement = residualReplacement(request.interventions, {
      batch,
      seq,
      hidden: config.hiddenSize,
      numLayers: config.numLayers,
    });
    if (replacement && (target.wrt === "embeddings" || target.layer < replacement.layer)) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Gradients with respect to ${target.wrt === "embeddings" ? "the embeddings" : `residual.${target.layer}`} do not exist when the run starts from residual.${replacement.layer}.`,
        { hint: `Take gradients with respect to residual.${replacement.layer} or a later layer.` },
      );
    }
    // The tensor the run starts from: the embeddings, or the residual that replaces them.
    const primary = replacement?.values ?? embeddings;
    const residualInput = replacement ? { residualInput: replacement.layer } : {};
    const recompute = request.recompute ? { recompute: true } : {};
    const objective = request.objective;
    if (objective.kind === "stepFunction") {
      differentiableStepFunction(objective.stepFunction);
      const graphObjective = graphObjectiveOf(objective.stepFunction, objective.parameters);
      if (graphObjective) {
        for (const id of [...objective.targetIds, ...(objective.contrastTargetIds ?? [])]) {
          if (!Number.isInteger(id) || id < 0 || id >= vocab) {
            throw new TokenscopeError(
              "INVALID_INPUT",
              `Target id ${id} is outside the vocabulary [0, ${vocab}).`,
              { hint: "Give target ids the model's tokenizer produced." },
            );
          }
        }
        const result = await runGraphObjective(sessions, vocab, {
          embeddings: primary,
          ...residualInput,
          mask,
          positions,
          targetIds: objective.targetIds,
          contrastTargetIds: objective.contrastTargetIds,
          objective: graphObjective,
          target,
          ...(request.recompute ? { recompute: true } : {}),
        });
        // Values in float64 from the same logits, exactly as step scores are computed.
        const values = Float64Array.from(
          positions,
          (_, row) =>
            evaluateObjectiveRow(
              objective,
              row,
              result.logits.data.subarray(row * vocab, (row + 1) * vocab),
              false,
            ).value,
        );
        return { ...result, objective: values };
      }
    }
    const shared = batch > 1 && batch * batch * vocab * 4 <= SHARED_SEED_BYTES && sameRows(primary, mask);
    const signal = request.signal ? { signal: request.signal } : {};

    // One row's inputs when every row is the same; all rows otherwise.
    const runInputs = shared
      ? {
          embeddings: { data: primary.data.subarray(0, seq * hidden), dims: [1, seq, hidden] },
          ...(mask ? { attentionMask: [mask[0]!] } : {}),
        }
      : { embeddings: primary, ...(mask ? { attentionMask: mask } : {}) };
    // With a replaced residual, `runInputs.embeddings` holds residual rows; the token input is unused.
    const interventions = replacement
      ? {
          interventions: [
            { kind: "replaceResidual" as const, layer: replacement.layer, values: runInputs.embeddings },
          ],
        }
      : {};
    const logitPositions = shared ? [positions] : positions.map((position) => [position]);
    const { logits } =
      request.objective.kind === "stepFunction"
        ? await deps.forward({ inputs: runInputs, positions: logitPositions, ...interventions, ...signal })
        : { logits: undefined };
    const rowLogits = (row: number) =>
      (logits!.data as Float32Array).subarray(row * vocab, (row + 1) * vocab);
    const { seeds, values } = await rowSeeds(request, rowLogits);
    throwIfAborted(request.signal);

    const feeds = inputFeeds(runInputs);
    let variant: GraphVariant;
    if (shared) {
      // Seed k is nonzero only at logit slot k.
      const seedData = new Float32Array(batch * batch * vocab);
      for (let k = 0; k < batch; k++)
        seedData.set(seeds.subarray(k * vocab, (k + 1) * vocab), (k * batch + k) * vocab);
      feeds[decoderTensorNames.logitPositions] = positionFeed([[...positions]]);
      feeds[`${decoderTensorNames.logits}_grad`] = {
        dataType: "float32",
        dims: [batch, 1, batch, vocab],
        data: seedData,
      };
      variant = {
        input: "embeds",
        gatherLogits: true,
        valueZeroing: false,
        taps: noTaps,
        gradient: { ...target, seeds: "dynamic" },
        ...residualInput,
        ...recompute,
      };
    } else {
      feeds[decoderTensorNames.logitPositions] = positionFeed(logitPositions);
      feeds[`${decoderTensorNames.logits}_grad`] = {
        dataType: "float32",
        dims: [batch, 1, vocab],
        data: seeds,
      } as RuntimeTensor;
      variant = {
        input: "embeds",
        gatherLogits: true,
        valueZeroing: false,
        taps: noTaps,
        gradient: target,
        ...residualInput,
        ...recompute,
      };
    }
    const session = await sessions.get(variant);
    const outputs = await session.run(
      replacement
        ? residualFeeds(feeds, { layer: replacement.layer, values: runInputs.embeddings }, session.inputNames)
        : feeds,
    );
    const tensorName = gradientTensorName(target);
    const gradient = denseTensor(outputs[`${tensorName}_grad`]!);
    const activation =
      target.wrt === "embeddings"
        ? embeddings
        : target.layer === replacement?.layer
          ? runInputs.embeddings
          : denseTensor(outputs[tensorName]!);
    const perRow = seq * (gradient.dims[gradient.dims.length - 1] ?? hidden);
    const outputLogits = logits ?? denseTensor(outputs[decoderTensorNames.logits]!);
    if (!shared) {
      return { gradients: gradient, activations: activation, objective: values, logits: outputLogits };
    }
    // [K = batch, 1, seq, width] → [batch, seq, width]; activations repeat the one row.
    const width = gradient.dims[gradient.dims.length - 1]!;
    const repeated = new Float32Array(batch * perRow);
    for (let row = 0; row < batch; row++) repeated.set(activation.data.subarray(0, perRow), row * perRow);
    return {
      gradients: { data: gradient.data, dims: [batch, seq, width] },
      activations: { data: repeated, dims: [batch, seq, width] },
      objective: values,
      logits: { data: outputLogits.data, dims: [batch, 1, vocab] },
    };
  };
}
