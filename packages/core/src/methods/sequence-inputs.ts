import { TokenscopeError } from "../errors/index.ts";
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
