import { type SequenceAttribution, TokenscopeError } from "@tokenscope/core";

/** One attributed step of a sequence, ready for the metrics. */
export interface StepInput {
  /** Index of the sequence in the result. */
  sequence: number;
  /** Index of the target token (the step). */
  step: number;
  /** Text of the target token. */
  target: string;
  targetId: number;
  /** The model input of the step: source ids then the target ids before `step`. */
  ids: number[];
  /** Input positions that carry importance (the units), ascending. */
  unitPositions: number[];
  /** The attribution score of each unit (an empty cell counts as 0). */
  scores: number[];
}

function invalid(message: string, hint: string, details: Record<string, unknown>): never {
  throw new TokenscopeError("INVALID_INPUT", message, { hint, details });
}

function tokenIds(
  sequence: SequenceAttribution,
  index: number,
  vocabSize: number,
): { source: number[]; target: number[] } {
  const check = (tokens: SequenceAttribution["source"], side: string) =>
    tokens.map((token, position) => {
      if (token.id === null || !Number.isInteger(token.id)) {
        invalid(
          `Sequence ${index}: ${side} token ${position} ("${token.text}") has no token id (merged into a word or span).`,
          "Faithfulness metrics perturb model tokens: evaluate the result before merging tokens into words, spans or sentences.",
          { sequence: index, side, position },
        );
      }
      if (token.id < 0 || token.id >= vocabSize) {
        invalid(
          `Sequence ${index}: ${side} token ${position} has id ${token.id}, outside the model's vocabulary [0, ${vocabSize}).`,
          "The result was made with another tokenizer; evaluate it with the model it was attributed with.",
          { sequence: index, side, position, id: token.id },
        );
      }
      return token.id;
    });
  return { source: check(sequence.source, "source"), target: check(sequence.target, "target") };
}

/**
 * The attributed steps of a sequence: targets whose row has at least one non-empty cell (a step range
 * leaves the others empty). The input of step t is the source ids then target ids 0..t−1, the target
 * is target t, read at the last position (as `attribute()` attributes it). The units are every input
 * position, scored by `sourceAttributions[t]` then `targetAttributions[t][u < t]`, as ReAGent scores
 * the whole `generated_ids[:target_pos]`. Without `targetAttributions`, steps after the first throw
 * `INVALID_INPUT` unless `unattributedPrefix` is `"keep"`, where the units are the source positions and
 * the prefix stays untouched.
 */
export function attributedSteps(
  sequence: SequenceAttribution,
  index: number,
  vocabSize: number,
  unattributedPrefix: "error" | "keep",
): StepInput[] {
  const ids = tokenIds(sequence, index, vocabSize);
  const steps: StepInput[] = [];
  sequence.target.forEach((token, t) => {
    const sourceRow = sequence.sourceAttributions[t] ?? [];
    const prefixRow = (sequence.targetAttributions?.[t] ?? []).slice(0, t);
    if (![...sourceRow, ...prefixRow].some((cell) => cell !== null && cell !== undefined)) return;
    const input = [...ids.source, ...ids.target.slice(0, t)];
    if (input.length === 0) {
      invalid(
        `Sequence ${index}, step ${t}: the step has no input tokens to predict from.`,
        "Attribute with a prompt of at least one token (BOS counts).",
        {
          sequence: index,
          step: t,
        },
      );
    }
    const sourceScores = ids.source.map((_, s) => sourceRow[s] ?? 0);
    let unitPositions = input.map((_, position) => position);
    let scores = [...sourceScores, ...ids.target.slice(0, t).map((_, u) => prefixRow[u] ?? 0)];
    if (sequence.targetAttributions === null && t > 0) {
      if (unattributedPrefix === "error") {
        invalid(
          `Sequence ${index} has no target-prefix attributions, but step ${t} is predicted from the prompt and ${t} earlier target token(s); the metrics need importance over both, as ReAGent scores them.`,
          'Attribute with attributeTarget: true (--attribute-target), or evaluate with unattributedPrefix: "keep" to score the source tokens only and leave the prefix untouched.',
          { sequence: index, step: t },
        );
      }
      unitPositions = ids.source.map((_, position) => position);
      scores = sourceScores;
    }
    steps.push({
      sequence: index,
      step: t,
      target: token.text,
      targetId: ids.target[t]!,
      ids: input,
      unitPositions,
      scores,
    });
  });
  return steps;
}
