import {
  type ForwardRequest,
  type ForwardResult,
  type GradientRequest,
  type GradientResult,
  TokenscopeError,
  throwIfAborted,
} from "@tokenscope/core";
import { buildGradientGraph, type OnnxModel, type RuntimeSession } from "@tokenscope/tensor-backends";
import { encoderDecoderTensorNames as names } from "../graphs/encoder-decoder/tensor-names.ts";
import { denseTensor } from "../language-model/feeds.ts";
import { differentiableStepFunction, evaluateObjectiveRow } from "../language-model/objective-rows.ts";
import {
  type EncoderDecoderEmbeddingTables,
  embedEncoderDecoderRows,
  joinSplitGradients,
  missingSourceLengths,
  splitEmbeddingFeeds,
} from "./embedding-rows.ts";

/** What {@link createEncoderDecoderGradients} needs of its model. */
export interface EncoderDecoderGradientDeps {
  tables: EncoderDecoderEmbeddingTables;
  targetVocabSize: number;
  /** The model's forward, with embedding inputs (for the logits the objective reads). */
  forward(request: ForwardRequest): Promise<ForwardResult>;
  /** The session of {@link encoderDecoderGradientGraph}'s graph (built once, on first use). */
  session(): Promise<RuntimeSession>;
}

/**
 * The embeds transformer graph (`buildTransformerGraph(weights, { input: "embeds" })`) with a
 * backward pass: input `logits_grad` [batch, tgt, vocab] (the seed), outputs `inputs_embeds_grad`
 * and `decoder_inputs_embeds_grad`.
 */
export function encoderDecoderGradientGraph(embedsGraph: OnnxModel): OnnxModel {
  return buildGradientGraph(embedsGraph, {
    of: [names.logits],
    wrt: [names.inputsEmbeds, names.decoderInputsEmbeds],
  });
}

/**
 * Gradients of a per-row objective with respect to the input embeddings of rows laid out [source |
 * target] (`inputs.sourceLengths`), in two phases as the decoder-only runner's user-defined step
 * functions: the logits at each row's position (forward on embeddings), the step function's
 * derivative there in float64 (or the given `logitSeeds`), then one forward+backward run of the
 * whole transformer seeded at that decoder position. Encoder and decoder gradients are joined back
 * into the row layout; `<s>` (a constant decoder input) has none.
 */
export function createEncoderDecoderGradients(deps: EncoderDecoderGradientDeps) {
  const vocab = deps.targetVocabSize;
  const hidden = deps.tables.hiddenSize;

  return async function gradients(request: GradientRequest): Promise<GradientResult> {
    throwIfAborted(request.signal);
    const { inputs, objective } = request;
    if (request.wrt && request.wrt.kind !== "embeddings") {
      throw new TokenscopeError(
        "MISSING_CAPABILITY",
        "This encoder-decoder gives gradients with respect to its input embeddings only, not a residual stream.",
        { hint: "Use wrt { kind: 'embeddings' } (the default), or a method that attributes input tokens." },
      );
    }
    if (request.interventions && request.interventions.length > 0) {
      throw new TokenscopeError(
        "MISSING_CAPABILITY",
        "This encoder-decoder's gradients take no interventions.",
        { hint: "Run the gradient method without residual replacement." },
      );
    }
    const sourceLengths = inputs.sourceLengths;
    const batch = "ids" in inputs ? inputs.ids.length : inputs.embeddings.dims[0]!;
    if (!sourceLengths || sourceLengths.length !== batch) throw missingSourceLengths("A gradient request");
    const embeddings =
      "ids" in inputs
        ? embedEncoderDecoderRows(deps.tables, inputs.ids, sourceLengths, inputs.attentionMask)
        : inputs.embeddings;
    const width = embeddings.dims[1]!;
    const positions = objective.positions;
    if (positions.length !== batch) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `The objective has ${positions.length} positions for ${batch} rows.`,
      );
    }
    if (objective.kind === "stepFunction") differentiableStepFunction(objective.stepFunction);
    if (objective.kind === "logitSeeds" && objective.seeds.data.length !== batch * vocab) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `logitSeeds must be [${batch}, ${vocab}], got [${objective.seeds.dims.join(", ")}].`,
      );
    }
    const mask = inputs.attentionMask;
    // Phase 1: the logits at each row's position (this also checks the positions).
    const { logits } = await deps.forward({
      inputs: { embeddings, sourceLengths, ...(mask ? { attentionMask: mask } : {}) },
      positions: positions.map((position) => [position]),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    const seeds = new Float32Array(batch * vocab);
    const values = new Float64Array(batch).fill(Number.NaN);
    if (objective.kind === "logitSeeds") {
      seeds.set(objective.seeds.data);
    } else {
      for (let row = 0; row < batch; row++) {
        const output = evaluateObjectiveRow(
          objective,
          row,
          logits.data.subarray(row * vocab, (row + 1) * vocab),
          true,
        );
        values[row] = output.value;
        seeds.set(output.gradLogits!, row * vocab);
      }
    }
    throwIfAborted(request.signal);

    // Phase 2: one backward run seeded at decoder position p − (S − 1) of each row.
    const { feeds, layout } = splitEmbeddingFeeds(deps.tables, embeddings, sourceLengths, mask);
    const seedData = new Float32Array(batch * layout.decoderWidth * vocab);
    positions.forEach((position, b) => {
      const j = position - (sourceLengths[b]! - 1);
      seedData.set(seeds.subarray(b * vocab, (b + 1) * vocab), (b * layout.decoderWidth + j) * vocab);
    });
    feeds[`${names.logits}_grad`] = {
      dataType: "float32",
      dims: [batch, layout.decoderWidth, vocab],
      data: seedData,
    };
    const session = await deps.session();
    throwIfAborted(request.signal);
    const outputs = await session.run(feeds);
    const gradient = joinSplitGradients(
      denseTensor(outputs[`${names.inputsEmbeds}_grad`]!),
      denseTensor(outputs[`${names.decoderInputsEmbeds}_grad`]!),
      layout,
      width,
      hidden,
    );
    return { gradients: gradient, activations: embeddings, objective: values, logits };
  };
}
