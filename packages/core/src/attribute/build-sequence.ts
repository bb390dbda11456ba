import { reduceRawAttributions } from "../aggregation/dimension-reducer.ts";
import { TokenscopeError } from "../errors/index.ts";
import type { MethodSequenceOutput } from "../methods/types.ts";
import type { Tokenization } from "../model/language-model.ts";
import { assertRawShape } from "../result/sequence-shape.ts";
import type { AttributionMatrix, SequenceAttribution } from "../result/types.ts";

/** Inputs of {@link buildSequence}: the tokenized texts, the method's output and the step scores. */
export interface SequenceParts {
  source: Tokenization;
  target: Tokenization;
  output: MethodSequenceOutput;
  stepScores: SequenceAttribution["stepScores"];
  attributeTarget: boolean;
  methodId: string;
}

function emptyMatrix(rows: number, columns: number): AttributionMatrix {
  return Array.from({ length: rows }, () => new Array<number | null>(columns).fill(null));
}

/**
 * A sequence attribution holding the method's raw tensors. Scalar methods
 * (dims = 1) fill the score matrices directly; per-dimension ones leave them
 * empty for a dimension reducer to fill. Checks the method's output shapes,
 * so that a plugin's mistake names the plugin.
 */
export function buildSequence(parts: SequenceParts): SequenceAttribution {
  const { output, source, target } = parts;
  const owner = `Method "${parts.methodId}" (its output)`;
  const targets = target.tokens.length;
  assertRawShape(output.source, targets, source.tokens.length, "source attributions", owner);
  const dims = output.source.dims[2];
  if (parts.attributeTarget) {
    if (!output.target) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `${owner}: target-prefix attributions were asked for but not returned.`,
        {
          hint: "A method that declares supports.targetPrefix must return `target` when attributeTarget is true.",
          details: { method: parts.methodId },
        },
      );
    }
    assertRawShape(output.target, targets, targets, "target attributions", owner);
  }
  const rawTarget = parts.attributeTarget ? output.target : undefined;
  const scalar = dims === 1;
  const sequence: SequenceAttribution = {
    sourceText: source.text,
    targetText: target.text,
    source: source.tokens,
    target: target.tokens,
    sourceAttributions: scalar
      ? reduceRawAttributions(output.source, (vector) => vector[0]!)
      : emptyMatrix(targets, source.tokens.length),
    targetAttributions: rawTarget
      ? scalar
        ? reduceRawAttributions(rawTarget, (vector) => vector[0]!, true)
        : emptyMatrix(targets, targets)
      : null,
    rawSourceAttributions: output.source,
    stepScores: parts.stepScores,
    extras: structuredClone(output.extras ?? {}),
    aggregation: [],
  };
  if (rawTarget) sequence.rawTargetAttributions = rawTarget;
  return sequence;
}
