import { TokenscopeError } from "../errors/index.ts";
import type { LanguageModel } from "../model/language-model.ts";
import type { Token } from "../model/token.ts";
import type { MethodSequence } from "./types.ts";

function idsOf(tokens: readonly Token[], where: string): number[] {
  return tokens.map((token, index) => {
    if (token.id === null) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `${where} token ${index} ("${token.text}") has no vocabulary id.`,
        {
          hint: "Attribute token-level sequences; merge into words with `aggregate` afterwards.",
        },
      );
    }
    return token.id;
  });
}

/**
 * The input ids of a decoder-only model for `sequence`: source ids then target ids.
 * Target token t is predicted from the logits at {@link stepPosition}(sequence, t).
 */
export function decoderInputIds(sequence: MethodSequence): number[] {
  return [...idsOf(sequence.source, "Source"), ...idsOf(sequence.target, "Target")];
}

/** Position whose logits predict target token `step` in a decoder-only model (source.length + step − 1). */
export function stepPosition(sequence: MethodSequence, step: number): number {
  if (sequence.source.length === 0) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      "A sequence needs at least one source token (BOS) to predict from.",
    );
  }
  return sequence.source.length + step - 1;
}

/** The vocabulary id of target token `step`. */
export function targetId(sequence: MethodSequence, step: number): number {
  const token = sequence.target[step];
  if (token?.id === null || token?.id === undefined) {
    throw new TokenscopeError("INVALID_INPUT", `Target step ${step} has no token id.`);
  }
  return token.id;
}

/** The contrast side of one target step: what its logits are read from, and the token compared. */
export interface ContrastStep {
  /** Input ids of the contrast side: its source, then the contrast tokens before the aligned one. */
  ids: number[];
  /** Position whose logits are the contrast logits (ids.length − 1). */
  position: number;
  /** The contrast token compared with the target at this step. */
  targetId: number;
  /**
   * True when the contrast input is the step's own input (same source, same tokens before the
   * step): the contrast logits are the step's own logits, with no separate forward pass.
   */
  self: boolean;
}

/**
 * The contrast side of target step `step` of `sequence`, or undefined when the run has no contrast
 * (`contrastTargetIds` alone, as older callers set them, give a same-input contrast).
 */
export function contrastStep(sequence: MethodSequence, step: number): ContrastStep | undefined {
  const { contrast } = sequence;
  if (!contrast) {
    const id = sequence.contrastTargetIds?.[step];
    if (id === undefined) return undefined;
    const ids = decoderInputIds(sequence).slice(0, stepPosition(sequence, step) + 1);
    return { ids, position: ids.length - 1, targetId: id, self: true };
  }
  const aligned = contrast.alignment[step];
  const token = aligned === undefined ? undefined : contrast.target[aligned];
  if (aligned === undefined || token?.id === null || token?.id === undefined) {
    throw new TokenscopeError("INVALID_INPUT", `Target step ${step} has no aligned contrast token.`, {
      hint: "Give contrast alignments that pair every attributed target step with a contrast token.",
      details: { step },
    });
  }
  const ids = [
    ...idsOf(contrast.source, "Contrast source"),
    ...idsOf(contrast.target.slice(0, aligned), "Contrast target"),
  ];
  if (ids.length === 0) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      "A contrast input needs at least one token (BOS) to predict from.",
    );
  }
  let self = contrast.sharesSource && aligned === step;
  for (let index = 0; self && index < step; index++) {
    self = contrast.target[index]!.id === sequence.target[index]!.id;
  }
  return { ids, position: ids.length - 1, targetId: token.id, self };
}

/**
 * What an encoder-decoder model needs beside a batch of rows laid out as [source | target]: each row's
 * source length (`ModelInputs.sourceLengths`); nothing for a decoder-only model, which reads rows as
 * one sequence.
 */
export function sourceLengthsFor(
  model: Pick<LanguageModel, "info">,
  lengths: readonly number[],
): { sourceLengths?: number[] } {
  return model.info.encoderDecoder ? { sourceLengths: [...lengths] } : {};
}
