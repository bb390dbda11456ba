import type {
  AttributionMethod,
  MethodContext,
  MethodSequence,
  MethodSequenceOutput,
} from "../methods/types.ts";
import { assertCapabilities } from "../model/assert-capabilities.ts";
import type { LanguageModel } from "../model/language-model.ts";
import type { RawAttributions } from "../result/types.ts";
import { parseParameters } from "../schema/parameters.ts";

/** One check of the conformance suite and its outcome. */
export interface ConformanceCheck {
  name: "shapes" | "finite" | "batched-equals-single" | "deterministic" | "causal";
  passed: boolean;
  message: string;
}

/** Options of {@link checkMethodConformance}. */
export interface ConformanceOptions {
  model: LanguageModel;
  /** Method parameters (defaults applied by the method's schema); include a seed for stochastic methods. */
  parameters?: Record<string, unknown>;
  /** Prompt/target pairs; two or more, of different lengths. */
  examples?: { prompt: string; target: string }[];
  attributedFunction?: { id: string; parameters?: Record<string, unknown> };
  /** Tolerance of batched-equals-single and determinism (max absolute difference). */
  tolerance?: number;
}

const defaultExamples = [
  { prompt: "the cat sat", target: " on it" },
  { prompt: "a dog", target: " ran far." },
];

async function sequencesFor(model: LanguageModel, examples: ConformanceOptions["examples"] & {}) {
  const sequences: MethodSequence[] = [];
  for (const example of examples) {
    const source = (await model.tokenize(example.prompt, { addSpecialTokens: true })).tokens;
    const target = (await model.tokenize(example.target, { addSpecialTokens: false })).tokens;
    sequences.push({ source, target, steps: target.map((_, index) => index) });
  }
  return sequences;
}

function maxDifference(a: RawAttributions, b: RawAttributions): number {
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]!;
    const y = b.data[i]!;
    if (Number.isNaN(x) !== Number.isNaN(y)) return Number.POSITIVE_INFINITY;
    if (!Number.isNaN(x)) worst = Math.max(worst, Math.abs(x - y));
  }
  return worst;
}

function sameShapes(a: MethodSequenceOutput, b: MethodSequenceOutput): boolean {
  return (
    a.source.dims.join() === b.source.dims.join() &&
    (a.target?.dims.join() ?? "") === (b.target?.dims.join() ?? "")
  );
}

/**
 * Runs the shared checks every attribution method must pass — built-in or a
 * plugin's — on `model`: output shapes, finite attributed cells, batched equals
 * single, determinism with fixed parameters, and causality (no attribution
 * from target positions at or after the attributed step). Framework-agnostic:
 * returns the outcomes; a test asserts they all passed.
 */
export async function checkMethodConformance<P>(
  method: AttributionMethod<P>,
  options: ConformanceOptions,
): Promise<ConformanceCheck[]> {
  const { model } = options;
  assertCapabilities(model, method.requires, `Method "${method.id}"`);
  const tolerance = options.tolerance ?? 1e-5;
  const sequences = await sequencesFor(model, options.examples ?? defaultExamples);
  const parameters = parseParameters(method.parameters, options.parameters ?? {}, method.id);
  const attributeTarget = method.supports.targetPrefix;
  const context = (batch: MethodSequence[]): MethodContext<P> => ({
    model,
    parameters,
    sequences: batch,
    attributedFunction: {
      id: options.attributedFunction?.id ?? "probability",
      parameters: options.attributedFunction?.parameters ?? {},
    },
    attributeTarget,
  });

  const batched = await method.run(context(sequences));
  const checks: ConformanceCheck[] = [];

  const shapeProblems: string[] = [];
  if (batched.length !== sequences.length)
    shapeProblems.push(`${batched.length} outputs for ${sequences.length} sequences`);
  batched.forEach((output, index) => {
    const sequence = sequences[index]!;
    const [steps, columns] = output.source.dims;
    if (steps !== sequence.target.length || columns !== sequence.source.length) {
      shapeProblems.push(
        `sequence ${index}: source dims ${output.source.dims} for ${sequence.target.length}×${sequence.source.length}`,
      );
    }
    if (output.source.data.length !== output.source.dims.reduce((a, b) => a * b, 1)) {
      shapeProblems.push(`sequence ${index}: source data length does not match dims`);
    }
    if (attributeTarget && output.target) {
      const [targetSteps, targetColumns] = output.target.dims;
      if (targetSteps !== sequence.target.length || targetColumns !== sequence.target.length) {
        shapeProblems.push(`sequence ${index}: target dims ${output.target.dims}`);
      }
    }
  });
  checks.push({
    name: "shapes",
    passed: shapeProblems.length === 0,
    message: shapeProblems.join("; ") || "ok",
  });

  const nonFinite: string[] = [];
  batched.forEach((output, index) => {
    const [steps, columns, dims] = output.source.dims;
    for (const step of sequences[index]!.steps) {
      for (let cell = step * columns * dims; cell < (step + 1) * columns * dims; cell++) {
        if (!Number.isFinite(output.source.data[cell]!)) {
          nonFinite.push(`sequence ${index}, step ${step}`);
          break;
        }
      }
    }
    void steps;
  });
  checks.push({ name: "finite", passed: nonFinite.length === 0, message: nonFinite.join("; ") || "ok" });

  const singleProblems: string[] = [];
  for (let index = 0; index < sequences.length; index++) {
    const [single] = await method.run(context([sequences[index]!]));
    const together = batched[index]!;
    if (!single || !sameShapes(single, together)) {
      singleProblems.push(`sequence ${index}: shapes differ`);
      continue;
    }
    const difference = Math.max(
      maxDifference(single.source, together.source),
      single.target && together.target ? maxDifference(single.target, together.target) : 0,
    );
    if (difference > tolerance)
      singleProblems.push(`sequence ${index}: max difference ${difference.toExponential(2)}`);
  }
  checks.push({
    name: "batched-equals-single",
    passed: singleProblems.length === 0,
    message: singleProblems.join("; ") || "ok",
  });

  const again = await method.run(context(sequences));
  const repeatDifference = Math.max(
    ...again.map((output, index) =>
      sameShapes(output, batched[index]!)
        ? maxDifference(output.source, batched[index]!.source)
        : Number.POSITIVE_INFINITY,
    ),
  );
  checks.push({
    name: "deterministic",
    passed: repeatDifference <= tolerance,
    message: repeatDifference <= tolerance ? "ok" : `two runs differ by ${repeatDifference.toExponential(2)}`,
  });

  const leaks: string[] = [];
  batched.forEach((output, index) => {
    if (!output.target) return;
    const [steps, columns, dims] = output.target.dims;
    for (let step = 0; step < steps; step++) {
      for (let column = step; column < columns; column++) {
        for (let d = 0; d < dims; d++) {
          const value = output.target.data[(step * columns + column) * dims + d]!;
          if (!Number.isNaN(value) && value !== 0) {
            leaks.push(`sequence ${index}: step ${step} gets ${value} from target ${column}`);
            return;
          }
        }
      }
    }
  });
  checks.push({ name: "causal", passed: leaks.length === 0, message: leaks.join("; ") || "ok" });
  return checks;
}
