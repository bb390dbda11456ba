import { aggregate } from "../aggregation/aggregate.ts";
import { TokenscopeError, throwIfAborted } from "../errors/index.ts";
import { checkMemoryBudgetBytes } from "../methods/memory-budget.ts";
import type { MethodContext } from "../methods/types.ts";
import type { LanguageModel } from "../model/language-model.ts";
import {
  type AttributionResult,
  type RunInfo,
  SCHEMA_VERSION,
  type SequenceAttribution,
} from "../result/types.ts";
import { TOOL_VERSION } from "../version.ts";
import { aggregationSteps, keepsRawOnly } from "./aggregation-plan.ts";
import { buildSequence } from "./build-sequence.ts";
import { checkGenerationSettings } from "./generation-args.ts";
import { checkAttributeOptionKeys } from "./option-keys.ts";
import { prepareSequences } from "./prepare-sequences.ts";
import { type AttributionPlan, resolvePlan } from "./resolve-plan.ts";
import { checkStepRange } from "./step-range.ts";
import { computeStepScores } from "./step-scores.ts";
import type { AttributeOptions } from "./types.ts";

function runInfo(
  model: LanguageModel,
  plan: AttributionPlan,
  options: AttributeOptions,
): Omit<RunInfo, "startedAt" | "durationMs"> {
  const extra: Record<string, unknown> = { attributeTarget: plan.attributeTarget };
  if (options.steps) extra["steps"] = { ...options.steps };
  if (options.chatTemplate) extra["chatTemplate"] = true;
  if (options.target === undefined) extra["generation"] = structuredClone(options.generation ?? {});
  return {
    model: {
      id: model.info.id,
      ...(model.info.revision ? { revision: model.info.revision } : {}),
      architecture: model.info.architecture,
    },
    method: { id: plan.method.id, parameters: structuredClone(plan.parameters) },
    attributedFunction: {
      id: plan.attributedFunction.id,
      parameters: structuredClone(plan.attributedFunction.parameters),
    },
    toolVersion: TOOL_VERSION,
    ...(model.info.execution ? { execution: structuredClone(model.info.execution) } : {}),
    extra,
  };
}

/**
 * Attributes what `model` generates (or a forced target) for one prompt or a
 * batch of prompts: tokenizes (optionally through the chat template), obtains
 * the targets, runs the method once over every sequence, records step scores,
 * and aggregates. Defaults follow Inseq: method "saliency", attributed
 * function "probability", L2 norm over the embedding dimension then per-step
 * normalisation over source and target-prefix cells; raw tensors are dropped
 * unless `keepRaw`. Everything the options name is validated before the
 * model runs. Errors: `INVALID_INPUT` (empty prompt or target, bad range),
 * `PROMPT_TOO_LONG`, `UNKNOWN_ID`, `INVALID_PARAMETERS`, `MISSING_CAPABILITY`,
 * `NOT_DIFFERENTIABLE`, `ABORTED`.
 */
export async function attribute(
  model: LanguageModel,
  input: string | string[],
  options: AttributeOptions = {},
): Promise<AttributionResult> {
  const startedAt = new Date();
  const started = performance.now();
  const prompts = typeof input === "string" ? [input] : [...input];
  if (prompts.length === 0) {
    throw new TokenscopeError("INVALID_INPUT", "No prompt was given.", {
      hint: "Pass a prompt string or a non-empty array of prompts.",
    });
  }
  checkAttributeOptionKeys(options);
  const plan = resolvePlan(model, options);
  checkStepRange(options.steps);
  checkMemoryBudgetBytes(options.memoryBudgetBytes);
  // A generation too long for the limits fails here, before the prompt is even tokenized.
  if (options.target === undefined) checkGenerationSettings(options.generation ?? {});
  throwIfAborted(options.signal);
  const prepared = await prepareSequences(model, prompts, options);
  const sequences = prepared.map((entry) => entry.sequence);
  const context: MethodContext<unknown> = {
    model,
    parameters: plan.parameters,
    sequences,
    attributedFunction: { id: plan.attributedFunction.id, parameters: plan.attributedFunction.parameters },
    attributeTarget: plan.attributeTarget,
    ...(options.memoryBudgetBytes !== undefined ? { memoryBudgetBytes: options.memoryBudgetBytes } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const outputs = await plan.method.run(context);
  if (outputs.length !== sequences.length) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Method "${plan.method.id}" returned ${outputs.length} outputs for ${sequences.length} sequences.`,
      {
        hint: "A method returns one output per input sequence, in order.",
        details: { method: plan.method.id },
      },
    );
  }
  const info = runInfo(model, plan, options);
  const attributed: SequenceAttribution[] = [];
  for (const [index, entry] of prepared.entries()) {
    throwIfAborted(options.signal);
    const output = outputs[index]!;
    const stepScores = await computeStepScores(
      model,
      entry.sequence,
      output,
      plan.stepScores,
      plan.attributedFunction,
      options.signal ? { signal: options.signal } : {},
    );
    const sequence = buildSequence({
      source: entry.source,
      target: entry.target,
      output,
      stepScores,
      attributeTarget: plan.attributeTarget,
      methodId: plan.method.id,
    });
    if (entry.contrast) sequence.contrast = entry.contrast.record;
    const normalize = options.normalize ?? plan.method.normalizeByDefault ?? true;
    const steps = aggregationSteps(plan.aggregate, normalize, output.source.dims[2]);
    // aggregate() works on results; each sequence goes alone, as its raw dimensions decide its steps.
    const single: AttributionResult = {
      schemaVersion: SCHEMA_VERSION,
      info: { ...info, startedAt: "", durationMs: 0 },
      sequences: [sequence],
    };
    const aggregated = aggregate(single, steps).sequences[0]!;
    if (!options.keepRaw && !keepsRawOnly(plan.aggregate, output.source.dims[2])) {
      delete aggregated.rawSourceAttributions;
      delete aggregated.rawTargetAttributions;
    }
    attributed.push(aggregated);
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    info: { ...info, startedAt: startedAt.toISOString(), durationMs: performance.now() - started },
    sequences: attributed,
  };
}
