import {
  type AttributionMethod,
  decoderInputIds,
  evaluateStepFunction,
  getStepFunction,
  type LanguageModel,
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  methodRegistry,
  parseParameters,
  registerCoreBuiltins,
  registerMethod,
  stepPosition,
  targetId,
} from "@tokenscope/core";
import { methods } from "./index.ts";

/** Registers core's built-ins and this package's methods (once per test file). */
export function registerAll(): void {
  registerCoreBuiltins();
  for (const method of methods) if (!methodRegistry.has(method.id)) registerMethod(method);
}

/** A method sequence from a prompt (with BOS) and a forced target, every step attributed. */
export async function sequenceOf(
  model: LanguageModel,
  prompt: string,
  target: string,
): Promise<MethodSequence> {
  const source = (await model.tokenize(prompt, { addSpecialTokens: true })).tokens;
  const targetTokens = (await model.tokenize(target, { addSpecialTokens: false })).tokens;
  return { source, target: targetTokens, steps: targetTokens.map((_, index) => index) };
}

/** Runs `method` directly on one sequence with raw parameters (validated with its schema). */
export async function runMethod<P>(
  method: AttributionMethod<P>,
  model: LanguageModel,
  sequence: MethodSequence,
  options: {
    parameters?: Record<string, unknown>;
    attributedFunction?: { id: string; parameters?: Record<string, unknown> };
    attributeTarget?: boolean;
    memoryBudgetBytes?: number;
  } = {},
): Promise<MethodSequenceOutput> {
  const context: MethodContext<P> = {
    model,
    parameters: parseParameters(method.parameters, options.parameters ?? {}, method.id),
    sequences: [sequence],
    attributedFunction: {
      id: options.attributedFunction?.id ?? "probability",
      parameters: options.attributedFunction?.parameters ?? {},
    },
    attributeTarget: options.attributeTarget ?? false,
    ...(options.memoryBudgetBytes !== undefined ? { memoryBudgetBytes: options.memoryBudgetBytes } : {}),
  };
  const [output] = await method.run(context);
  return output!;
}

/** The attributed function f at `step`, computed through `model.forward` from input embeddings [seq, hidden]. */
export async function objectiveAt(
  model: LanguageModel,
  sequence: MethodSequence,
  step: number,
  embeddings: Float64Array,
  stepFunction = "probability",
  parameters: Record<string, unknown> = {},
): Promise<number> {
  const seq = sequence.source.length + sequence.target.length;
  const position = stepPosition(sequence, step);
  const { logits } = await model.forward!({
    inputs: { embeddings: { data: embeddings, dims: [1, seq, embeddings.length / seq] } },
    positions: [[position]],
  });
  return evaluateStepFunction(
    getStepFunction(stepFunction),
    { logits: logits.data, targetId: targetId(sequence, step), parameters },
    { withGradient: false },
  ).value;
}

/** The input embeddings [seq, hidden] of a sequence, as float64. */
export async function inputEmbeddings(model: LanguageModel, sequence: MethodSequence): Promise<Float64Array> {
  return Float64Array.from((await model.embed!([decoderInputIds(sequence)])).data);
}

/**
 * Central finite-difference gradient of the attributed function at `step`
 * with respect to every input embedding component, through `forward` only.
 */
export async function finiteDifferenceGradient(
  model: LanguageModel,
  sequence: MethodSequence,
  step: number,
  epsilon = 1e-6,
): Promise<Float64Array> {
  const embeddings = await inputEmbeddings(model, sequence);
  const gradient = new Float64Array(embeddings.length);
  for (let i = 0; i < embeddings.length; i++) {
    const original = embeddings[i]!;
    embeddings[i] = original + epsilon;
    const up = await objectiveAt(model, sequence, step, embeddings);
    embeddings[i] = original - epsilon;
    const down = await objectiveAt(model, sequence, step, embeddings);
    embeddings[i] = original;
    gradient[i] = (up - down) / (2 * epsilon);
  }
  return gradient;
}

/** Step t's row of a raw [steps, columns, dims] tensor. */
export function rawRow(
  raw: { dims: [number, number, number]; data: Float32Array | Float64Array },
  t: number,
) {
  const [, columns, dims] = raw.dims;
  return raw.data.subarray(t * columns * dims, (t + 1) * columns * dims);
}
