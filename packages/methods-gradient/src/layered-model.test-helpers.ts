import {
  type DenseTensor,
  decoderInputIds,
  evaluateStepFunction,
  type ForwardRequest,
  type GradientRequest,
  getStepFunction,
  type Intervention,
  type LanguageModel,
  type MethodSequence,
  stepPosition,
  TokenscopeError,
  targetId,
} from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";

/** Layers of {@link createLayeredModel}. */
export const NUM_LAYERS = 2;
const DECAY = 0.7;

/**
 * A fake model with a residual stream, exact in float64: the toy model's tokenizer and embeddings,
 * then layers r_ℓ[t] = r_{ℓ−1}[t] + tanh(A_ℓ m[t] + c_ℓ) with the causal running sum
 * m[t] = Σ_{s≤t} DECAY^(t−s) r_{ℓ−1}[s], logits U r_last + b. It honours `replaceResidual` in
 * forward and gradients exactly as the interface says (later layers run from the given values).
 */
export function createLayeredModel(seed: number, options: { pad?: boolean } = {}): LanguageModel {
  const toy = createToyModel({ seed });
  const { hiddenSize: hidden, vocabSize: vocab } = toy.info;
  let state = seed * 7919 + 13;
  const random = () => {
    state = (state * 48271) % 2147483647;
    return (state / 2147483647) * 2 - 1;
  };
  const matrices = Array.from({ length: NUM_LAYERS }, () =>
    Float64Array.from({ length: hidden * hidden }, () => (1.5 * random()) / Math.sqrt(hidden)),
  );
  const shifts = Array.from({ length: NUM_LAYERS }, () =>
    Float64Array.from({ length: hidden }, () => 0.3 * random()),
  );
  const unembedding = Float64Array.from({ length: vocab * hidden }, () => 1.5 * random());
  const bias = Float64Array.from({ length: vocab }, () => 0.1 * random());

  /** One layer on one row [seq, hidden]: its output and tanh(z), kept for the backward pass. */
  function layerForward(layer: number, input: Float64Array, seq: number) {
    const output = Float64Array.from(input);
    const activated = new Float64Array(seq * hidden);
    const running = new Float64Array(hidden);
    for (let t = 0; t < seq; t++) {
      for (let k = 0; k < hidden; k++) running[k] = running[k]! * DECAY + input[t * hidden + k]!;
      for (let j = 0; j < hidden; j++) {
        let z = shifts[layer]![j]!;
        for (let k = 0; k < hidden; k++) z += matrices[layer]![j * hidden + k]! * running[k]!;
        activated[t * hidden + j] = Math.tanh(z);
        output[t * hidden + j]! += Math.tanh(z);
      }
    }
    return { output, activated };
  }

  function layerBackward(layer: number, activated: Float64Array, dOutput: Float64Array, seq: number) {
    const dInput = Float64Array.from(dOutput);
    const accumulated = new Float64Array(hidden);
    for (let t = seq - 1; t >= 0; t--) {
      for (let k = 0; k < hidden; k++) {
        let dm = 0;
        for (let j = 0; j < hidden; j++) {
          const dz = dOutput[t * hidden + j]! * (1 - activated[t * hidden + j]! ** 2);
          dm += matrices[layer]![j * hidden + k]! * dz;
        }
        accumulated[k] = accumulated[k]! * DECAY + dm;
        dInput[t * hidden + k]! += accumulated[k]!;
      }
    }
    return dInput;
  }

  /** Runs every batch row from the embeddings, or from `replaceResidual`'s values after its layer. */
  async function run(inputs: ForwardRequest["inputs"], interventions: Intervention[] = []) {
    const embeddings: DenseTensor = "ids" in inputs ? await toy.embed!(inputs.ids) : inputs.embeddings;
    const [batch, seq] = embeddings.dims as [number, number, number];
    const replace = interventions.find((change) => change.kind === "replaceResidual");
    const start = replace === undefined ? 0 : replace.layer + 1;
    const source = replace === undefined ? embeddings : replace.values;
    return Array.from({ length: batch }, (_, b) => {
      let residual = Float64Array.from(source.data.subarray(b * seq * hidden, (b + 1) * seq * hidden));
      const residuals: Float64Array[] = [];
      const activations: Float64Array[] = [];
      if (replace !== undefined) residuals[replace.layer] = residual;
      for (let layer = start; layer < NUM_LAYERS; layer++) {
        const { output, activated } = layerForward(layer, residual, seq);
        activations[layer] = activated;
        residuals[layer] = output;
        residual = output;
      }
      return { seq, residuals, activations, last: residual };
    });
  }

  function logitsAt(last: Float64Array, position: number): Float64Array {
    return Float64Array.from({ length: vocab }, (_, v) => {
      let sum = bias[v]!;
      for (let k = 0; k < hidden; k++) sum += unembedding[v * hidden + k]! * last[position * hidden + k]!;
      return sum;
    });
  }

  async function forward(request: ForwardRequest) {
    const rows = await run(request.inputs, request.interventions);
    const seq = rows[0]!.seq;
    const positions = request.positions ?? rows.map(() => [...Array(seq).keys()]);
    const width = positions[0]!.length;
    const logits = new Float64Array(rows.length * width * vocab);
    rows.forEach((row, b) => {
      positions[b]!.forEach((position, p) => {
        logits.set(logitsAt(row.last, position), (b * width + p) * vocab);
      });
    });
    const layers = request.taps?.layers ?? [...Array(NUM_LAYERS).keys()];
    const residual = request.taps?.residual
      ? layers.map((layer) => {
          const data = new Float64Array(rows.length * seq * hidden);
          rows.forEach((row, b) => {
            data.set(row.residuals[layer]!, b * seq * hidden);
          });
          return { data, dims: [rows.length, seq, hidden] };
        })
      : undefined;
    return {
      logits: { data: logits, dims: [rows.length, width, vocab] },
      ...(residual ? { taps: { residual } } : {}),
    };
  }

  async function gradients(request: GradientRequest) {
    const { wrt, objective: spec } = request;
    if (wrt?.kind !== "residual" || spec.kind !== "stepFunction") {
      throw new TokenscopeError(
        "MISSING_CAPABILITY",
        "The layered test model gives residual gradients only.",
      );
    }
    const replace = request.interventions?.find((change) => change.kind === "replaceResidual");
    if (replace !== undefined && replace.layer !== wrt.layer) throw new Error("replaced layer ≠ wrt layer");
    const rows = await run(request.inputs, request.interventions);
    const seq = rows[0]!.seq;
    const gradientData = new Float64Array(rows.length * seq * hidden);
    const activationData = new Float64Array(rows.length * seq * hidden);
    const logits = new Float64Array(rows.length * vocab);
    const objective = new Float64Array(rows.length);
    rows.forEach((row, b) => {
      const rowLogits = logitsAt(row.last, spec.positions[b]!);
      logits.set(rowLogits, b * vocab);
      const output = getStepFunction(spec.stepFunction).evaluate(
        { logits: rowLogits, targetId: spec.targetIds[b]!, parameters: spec.parameters ?? {} },
        true,
      );
      objective[b] = output.value;
      let dResidual = new Float64Array(seq * hidden);
      for (let k = 0; k < hidden; k++) {
        let sum = 0;
        for (let v = 0; v < vocab; v++) sum += unembedding[v * hidden + k]! * output.gradLogits![v]!;
        dResidual[spec.positions[b]! * hidden + k] = sum;
      }
      for (let layer = NUM_LAYERS - 1; layer > wrt.layer; layer--)
        dResidual = layerBackward(layer, row.activations[layer]!, dResidual, seq);
      gradientData.set(dResidual, b * seq * hidden);
      activationData.set(row.residuals[wrt.layer]!, b * seq * hidden);
    });
    const dims = [rows.length, seq, hidden];
    return {
      gradients: { data: gradientData, dims },
      activations: { data: activationData, dims },
      objective,
      logits: { data: logits, dims: [rows.length, 1, vocab] },
    };
  }

  const { unk: _unk, ...noUnk } = toy.info.specialTokens;
  return {
    ...toy,
    info: {
      ...toy.info,
      id: `layered-test-model-${seed}`,
      numLayers: NUM_LAYERS,
      specialTokens: options.pad === false ? noUnk : { ...toy.info.specialTokens, pad: 2 },
    },
    capabilities: new Set([
      "tokenize",
      "embed",
      "forward",
      "gradients",
      "gradients.layer",
      "taps.residual",
      "interventions.residual",
    ]),
    forward,
    gradients,
  };
}

/** f at step t when the residual after `layer` is `residual` [seq, hidden] (forward with replaceResidual). */
export async function objectiveFromResidual(
  model: LanguageModel,
  sequence: MethodSequence,
  t: number,
  layer: number,
  residual: Float64Array,
  stepFunction = "probability",
): Promise<number> {
  const seq = decoderInputIds(sequence).length;
  const { logits } = await model.forward!({
    inputs: { ids: [decoderInputIds(sequence)] },
    positions: [[stepPosition(sequence, t)]],
    interventions: [
      { kind: "replaceResidual", layer, values: { data: residual, dims: [1, seq, residual.length / seq] } },
    ],
  });
  return evaluateStepFunction(
    getStepFunction(stepFunction),
    { logits: logits.data, targetId: targetId(sequence, t), parameters: {} },
    { withGradient: false },
  ).value;
}

/** The residual after `layer` [seq, hidden] the model computes from `ids`. */
export async function residualFrom(
  model: LanguageModel,
  ids: number[],
  layer: number,
): Promise<Float64Array> {
  const { taps } = await model.forward!({
    inputs: { ids: [ids] },
    taps: { residual: true, layers: [layer] },
  });
  return Float64Array.from(taps!.residual![0]!.data);
}
