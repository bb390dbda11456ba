import {
  type MethodContext,
  type MethodSequence,
  type MethodSequenceOutput,
  stepPosition,
  TokenscopeError,
} from "@tokenscope/core";

/**
 * The attributed steps of `sequence`, distinct and sorted; throws INVALID_INPUT
 * for a step outside the target.
 */
export function attributedSteps(sequence: MethodSequence, owner: string): number[] {
  const steps = [...new Set(sequence.steps)].sort((a, b) => a - b);
  for (const step of steps) {
    if (!Number.isInteger(step) || step < 0 || step >= sequence.target.length) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `${owner}: step ${step} is outside the target's ${sequence.target.length} tokens.`,
        { hint: "Steps are indices into the target tokens." },
      );
    }
  }
  return steps;
}

/**
 * Fills one sequence's [steps, source, 1] (and with `attributeTarget`
 * [steps, target, 1]) attributions from `score(query, key)`, where query is the
 * step's prediction position and key a decoder position at or before it.
 * Steps not attributed, and target cells at or after their step, stay NaN.
 */
export function sequenceOutput(
  context: Pick<MethodContext<unknown>, "attributeTarget">,
  sequence: MethodSequence,
  owner: string,
  score: (query: number, key: number, step: number) => number,
): MethodSequenceOutput {
  const sourceLength = sequence.source.length;
  const steps = sequence.target.length;
  const source = new Float64Array(steps * sourceLength).fill(Number.NaN);
  const target = context.attributeTarget ? new Float64Array(steps * steps).fill(Number.NaN) : undefined;
  for (const step of attributedSteps(sequence, owner)) {
    const query = stepPosition(sequence, step);
    for (let key = 0; key < sourceLength; key++) source[step * sourceLength + key] = score(query, key, step);
    if (target) {
      for (let prefix = 0; prefix < step; prefix++)
        target[step * steps + prefix] = score(query, sourceLength + prefix, step);
    }
  }
  const output: MethodSequenceOutput = { source: { dims: [steps, sourceLength, 1], data: source } };
  if (target) output.target = { dims: [steps, steps, 1], data: target };
  return output;
}
