import { TokenscopeError } from "../errors/index.ts";
import type { SequenceContrast } from "../methods/types.ts";
import { assertCapabilities } from "../model/assert-capabilities.ts";
import type { LanguageModel, Tokenization } from "../model/language-model.ts";
import type { AbortOptions } from "../progress.ts";
import type { SequenceContrastRecord } from "../result/types.ts";
import {
  autoAlignment,
  type ContrastAlignment,
  explicitAlignment,
  rightAlignment,
} from "./contrast-alignment.ts";
import { prepareSource } from "./prepare-source.ts";
import { prepareTarget } from "./prepare-target.ts";

/** What one sequence is contrasted with, as the options give it. */
export interface ContrastSpec {
  sourceText: string | undefined;
  targetText: string | undefined;
  alignment: ContrastAlignment | undefined;
}

/** The contrast side of one sequence: for the methods, and as the result records it. */
export interface PreparedContrast {
  contrast: SequenceContrast;
  record: SequenceContrastRecord;
}

/**
 * One value of a per-prompt contrast option: a single value for every prompt, or one per prompt.
 * Alignments are told apart by depth: a list of pairs is one alignment, a list of lists one per prompt.
 */
export function contrastAlignmentFor(
  value: ContrastAlignment | ContrastAlignment[] | undefined,
  count: number,
  index: number,
): ContrastAlignment | undefined {
  if (value === undefined || value === "auto") return value;
  if (!Array.isArray(value)) {
    throw new TokenscopeError("INVALID_INPUT", 'contrastAlignments is neither pairs nor "auto".', {
      hint: 'Give [[targetIndex, contrastIndex], ...] or "auto" (or one of them per prompt).',
    });
  }
  const perPrompt = value.length > 0 && (value[0] === "auto" || Array.isArray((value[0] as unknown[])[0]));
  if (!perPrompt) return value as unknown as ContrastAlignment;
  if (value.length !== count) {
    throw new TokenscopeError("INVALID_INPUT", `${count} prompts but ${value.length} contrast alignments.`, {
      hint: "Give one alignment per prompt, or a single one used for every prompt.",
      details: { prompts: count, contrastAlignments: value.length },
    });
  }
  return (value as ContrastAlignment[])[index];
}

function sameIds(a: Tokenization, b: Tokenization): boolean {
  return a.tokens.length === b.tokens.length && a.tokens.every((token, i) => token.id === b.tokens[i]!.id);
}

async function alignmentOf(
  model: LanguageModel,
  target: Tokenization,
  contrastTarget: Tokenization,
  alignment: ContrastAlignment | undefined,
): Promise<number[]> {
  const targetIds = target.tokens.map((token) => token.id!);
  const contrastIds = contrastTarget.tokens.map((token) => token.id!);
  if (alignment === undefined) return rightAlignment(targetIds.length, contrastIds.length);
  if (alignment !== "auto") return explicitAlignment(alignment, targetIds.length, contrastIds.length);
  assertCapabilities(model, ["embed"], 'contrastAlignments "auto"');
  const [targetEmbeddings, contrastEmbeddings] = [
    await model.embed!([targetIds]),
    await model.embed!([contrastIds]),
  ];
  const hidden = targetEmbeddings!.dims[2]!;
  return autoAlignment(targetIds, contrastIds, ({ side, index }) =>
    (side === "target" ? targetEmbeddings! : contrastEmbeddings!).data.subarray(
      index * hidden,
      (index + 1) * hidden,
    ),
  );
}

/**
 * Tokenizes one sequence's contrast: the contrast source as a prompt (chat template included), the
 * contrast target as a forced continuation of it, and the alignment of the target with it. Without a
 * contrast target the contrast continuation is the target itself, token for token.
 */
export async function prepareContrast(
  model: LanguageModel,
  sequence: { source: Tokenization; target: Tokenization; index: number; chatTemplate: boolean },
  spec: ContrastSpec,
  options: AbortOptions,
): Promise<PreparedContrast> {
  const source =
    spec.sourceText === undefined
      ? sequence.source
      : await prepareSource(model, spec.sourceText, sequence.chatTemplate, sequence.index);
  if (spec.targetText !== undefined && spec.targetText.trim() === "") {
    throw new TokenscopeError("INVALID_INPUT", `Contrast target ${sequence.index} is empty.`, {
      hint: "Give each contrast target some text: the continuation the target is compared with.",
      details: { sequence: sequence.index },
    });
  }
  const target =
    spec.targetText === undefined
      ? sequence.target
      : await prepareTarget(
          model,
          source.tokens.map((token) => token.id!),
          { kind: "forced", text: spec.targetText },
          { sequenceIndex: sequence.index, ...(options.signal ? { signal: options.signal } : {}) },
        );
  const alignment =
    spec.targetText === undefined
      ? sequence.target.tokens.map((_, index) => index)
      : await alignmentOf(model, sequence.target, target, spec.alignment);
  const sharesSource = sameIds(source, sequence.source);
  return {
    contrast: { source: source.tokens, sharesSource, target: target.tokens, alignment },
    record: {
      ...(spec.sourceText !== undefined ? { sourceText: source.text, source: source.tokens } : {}),
      targetText: target.text,
      target: target.tokens,
      alignment,
    },
  };
}
