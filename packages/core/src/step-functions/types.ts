import type { ParameterSchema } from "../schema/parameters.ts";

/** Logits of one step over the vocabulary, in float32 or float64. */
export type LogitVector = Float32Array | Float64Array;

/**
 * What a step function receives for one generation step. Contrastive step
 * functions also get the logits computed from the contrastive input
 * (`contrastLogits`, absent when only the target differs) and the contrast
 * target id (the same as `targetId` when only the input differs).
 */
export interface StepFunctionInput<P = Record<string, unknown>, L extends LogitVector = LogitVector> {
  logits: L;
  targetId: number;
  contrastLogits?: L;
  contrastTargetId?: number;
  parameters: P;
}

/**
 * A step function's value and, when it is differentiable and asked for, its
 * derivative with respect to the logits (same array type and length as the
 * input), and with respect to the contrast logits when those were given.
 */
export interface StepFunctionOutput<L extends LogitVector = LogitVector> {
  value: number;
  gradLogits?: L;
  gradContrastLogits?: L;
}

/**
 * A step function: a pure function of the logits of one step, used as step
 * score and, when differentiable, as the attributed function. Register it with
 * `registerStepFunction`; ids follow Inseq's where one exists.
 */
export interface StepFunction<P = Record<string, unknown>> {
  id: string;
  /** One line: what the value is. */
  summary: string;
  /** Full documentation: definition, unit, sign, references. */
  description: string;
  /** Unit of the value ("probability", "nats", "bits", "logit", "tokens", ...). */
  unit: string;
  /** False for value-only functions (e.g. top_p_size); they cannot be attributed. */
  differentiable: boolean;
  /**
   * How values of merged target tokens combine (words, spans): "prod" for probabilities (a word's
   * probability is the product of its pieces'), "sum" for log-scale values (nats, bits), "absmax"
   * when absent. Inseq's aggregate map, for the ids it has.
   */
  merge?: "sum" | "prod" | "absmax";
  /** "input": needs logits from a contrastive input; "target": a contrast target id; "either": one of them. */
  contrast?: "input" | "target" | "either";
  parameters: ParameterSchema<P>;
  /** Computes the value, and the gradient(s) when `withGradient` is true. */
  evaluate<L extends LogitVector>(
    input: StepFunctionInput<P, L>,
    withGradient: boolean,
  ): StepFunctionOutput<L>;
}
