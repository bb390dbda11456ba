import { TokenscopeError, throwIfAborted } from "../errors/index.ts";
import type { MethodSequence } from "../methods/types.ts";
import type { LanguageModel, Tokenization } from "../model/language-model.ts";
import { contrastAlignmentFor, type PreparedContrast, prepareContrast } from "./prepare-contrast.ts";
import { prepareSource } from "./prepare-source.ts";
import { prepareTarget, type TargetSpec } from "./prepare-target.ts";
import { selectSteps } from "./step-range.ts";
import type { AttributeOptions } from "./types.ts";

function perPrompt(
  value: string | string[] | undefined,
  count: number,
  name: string,
): (string | undefined)[] {
  if (value === undefined || typeof value === "string") return new Array(count).fill(value);
  if (value.length !== count) {
    throw new TokenscopeError("INVALID_INPUT", `${count} prompts but ${value.length} values of ${name}.`, {
      hint: `Give one ${name} per prompt, or a single string used for every prompt.`,
      details: { prompts: count, [name]: value.length },
    });
  }
  return value;
}

function targetSpecs(options: AttributeOptions, count: number): TargetSpec[] {
  if (options.target !== undefined && options.targetPrefix !== undefined) {
    throw new TokenscopeError("INVALID_INPUT", "Both `target` and `targetPrefix` were given.", {
      hint: "Force the whole target with `target`, or generate a continuation of `targetPrefix`; not both.",
    });
  }
  const targets = perPrompt(options.target, count, "target");
  const prefixes = perPrompt(options.targetPrefix, count, "targetPrefix");
  return targets.map(
    (text, index): TargetSpec =>
      text !== undefined
        ? { kind: "forced", text }
        : { kind: "generate", prefix: prefixes[index], generation: options.generation ?? {} },
  );
}

/** One prompt made ready for a method: its tokens, target, steps and contrast. */
export interface PreparedSequence {
  source: Tokenization;
  target: Tokenization;
  sequence: MethodSequence;
  contrast?: PreparedContrast;
}

/**
 * Tokenizes every prompt (chat template included), obtains its target (forced, or generated), selects
 * the steps and prepares its contrast: what `attribute()` and `scoreSteps()` run on.
 */
export async function prepareSequences(
  model: LanguageModel,
  prompts: string[],
  options: AttributeOptions,
): Promise<PreparedSequence[]> {
  const specs = targetSpecs(options, prompts.length);
  const contrastTargets = perPrompt(options.contrastTargets, prompts.length, "contrastTargets");
  const contrastSources = perPrompt(options.contrastSources, prompts.length, "contrastSources");
  const hasContrast = options.contrastTargets !== undefined || options.contrastSources !== undefined;
  const prepared: PreparedSequence[] = [];
  for (const [index, prompt] of prompts.entries()) {
    throwIfAborted(options.signal);
    const source = await prepareSource(model, prompt, options.chatTemplate ?? false, index);
    const promptIds = source.tokens.map((token) => token.id!);
    const target = await prepareTarget(model, promptIds, specs[index]!, {
      sequenceIndex: index,
      onProgress: options.onProgress,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const steps = selectSteps(options.steps, target.tokens.length, index);
    const sequence: MethodSequence = { source: source.tokens, target: target.tokens, steps };
    const entry: PreparedSequence = { source, target, sequence };
    if (hasContrast) {
      const contrast = await prepareContrast(
        model,
        { source, target, index, chatTemplate: options.chatTemplate ?? false },
        {
          sourceText: contrastSources[index],
          targetText: contrastTargets[index],
          alignment: contrastAlignmentFor(options.contrastAlignments, prompts.length, index),
        },
        options.signal ? { signal: options.signal } : {},
      );
      sequence.contrast = contrast.contrast;
      sequence.contrastTargetIds = contrast.contrast.alignment.map(
        (aligned) => contrast.contrast.target[aligned]!.id!,
      );
      entry.contrast = contrast;
    }
    prepared.push(entry);
    options.onProgress?.({ phase: "prepare", completed: index + 1, total: prompts.length });
  }
  return prepared;
}
