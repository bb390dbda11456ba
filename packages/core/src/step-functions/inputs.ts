import { TokenscopeError } from "../errors/index.ts";
import type { LogitVector, StepFunction, StepFunctionInput } from "./types.ts";

/** The logits and target a contrastive step function reads on its contrast side. */
export interface ContrastSide<L extends LogitVector> {
  logits: L;
  targetId: number;
  /** True when `logits` are separate contrast logits (their gradient goes to `gradContrastLogits`). */
  separateLogits: boolean;
}

function isLogitVector(value: unknown): value is LogitVector {
  return value instanceof Float32Array || value instanceof Float64Array;
}

function checkTokenId(stepFunctionId: string, name: string, tokenId: unknown, vocabularySize: number): void {
  if (typeof tokenId !== "number" || !Number.isInteger(tokenId) || tokenId < 0 || tokenId >= vocabularySize) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Step function "${stepFunctionId}" got ${name} ${String(tokenId)}, outside the vocabulary [0, ${vocabularySize}).`,
      {
        hint: `Pass a token id that indexes the logit vector (an integer from 0 to ${vocabularySize - 1}).`,
        details: { stepFunction: stepFunctionId, [name]: tokenId, vocabularySize },
      },
    );
  }
}

function missingContrast(stepFunctionId: string, what: string, hint: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", `Step function "${stepFunctionId}" needs ${what}.`, {
    hint,
    details: { stepFunction: stepFunctionId },
  });
}

/**
 * Checks one step's input before a step function reads it: logits are a
 * non-empty Float32Array/Float64Array, token ids index them, contrast logits
 * have the vocabulary's length, and the contrast data that `contrast` demands
 * is there. Throws `INVALID_INPUT` with a hint otherwise.
 */
export function validateStepFunctionInput(
  stepFunctionId: string,
  input: StepFunctionInput<unknown>,
  contrast: StepFunction["contrast"],
): void {
  const { logits, contrastLogits } = input;
  if (!isLogitVector(logits) || logits.length === 0) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Step function "${stepFunctionId}" needs the logits of one step as a non-empty Float32Array or Float64Array.`,
      {
        hint: "Pass the logit vector of one generation step (length = vocabulary size).",
        details: { stepFunction: stepFunctionId },
      },
    );
  }
  checkTokenId(stepFunctionId, "targetId", input.targetId, logits.length);
  if (contrastLogits !== undefined) {
    if (!isLogitVector(contrastLogits) || contrastLogits.length !== logits.length) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Step function "${stepFunctionId}" got contrast logits of length ${
          isLogitVector(contrastLogits) ? contrastLogits.length : "(not a typed array)"
        }, but the logits have length ${logits.length}.`,
        {
          hint: "Contrast logits must come from the same model (same vocabulary) at the same step, as a Float32Array or Float64Array.",
          details: { stepFunction: stepFunctionId, vocabularySize: logits.length },
        },
      );
    }
  }
  if (input.contrastTargetId !== undefined) {
    checkTokenId(stepFunctionId, "contrastTargetId", input.contrastTargetId, logits.length);
  }
  if (contrast === "input" && contrastLogits === undefined) {
    throw missingContrast(
      stepFunctionId,
      "contrastLogits (logits computed from a contrastive input)",
      "Give attribute() contrastSources or contrastTargets (CLI: --contrast-source / --contrast-target) so the contrast logits are computed, or pick a non-contrastive step function such as probability.",
    );
  }
  if (contrast === "target" && input.contrastTargetId === undefined) {
    throw missingContrast(
      stepFunctionId,
      "contrastTargetId (the alternative token to compare with)",
      "Give attribute() contrastTargets (CLI: --contrast-target), or pick a non-contrastive step function such as probability.",
    );
  }
}

/**
 * The contrast side of a contrastive input: the contrast logits (or the
 * logits themselves when absent) and the contrast target (or the target).
 */
export function contrastSide<L extends LogitVector>(input: StepFunctionInput<unknown, L>): ContrastSide<L> {
  return {
    logits: input.contrastLogits ?? input.logits,
    targetId: input.contrastTargetId ?? input.targetId,
    separateLogits: input.contrastLogits !== undefined,
  };
}
