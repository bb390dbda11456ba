import type { AggregationStep } from "../aggregation/aggregate.ts";
import { TokenscopeError } from "../errors/index.ts";
import type { AttributionMethod } from "../methods/types.ts";
import { assertCapabilities } from "../model/assert-capabilities.ts";
import type { LanguageModel } from "../model/language-model.ts";
import { getAggregator, getMethod, getStepFunction } from "../registry/registries.ts";
import { parseParameters } from "../schema/parameters.ts";
import type { StepFunction } from "../step-functions/types.ts";
import { checkContrastOptions } from "./contrast-options.ts";
import {
  type AttributeOptions,
  DEFAULT_ATTRIBUTED_FUNCTION,
  DEFAULT_METHOD,
  type StepFunctionChoice,
} from "./types.ts";

/** A step function looked up and its parameters parsed. */
export interface ResolvedStepFunction {
  id: string;
  parameters: Record<string, unknown>;
  stepFunction: StepFunction<Record<string, unknown>>;
}

/** Everything `attribute()` resolves from its options before touching the model. */
export interface AttributionPlan {
  // biome-ignore lint/suspicious/noExplicitAny: the registry holds methods of any parameter type
  method: AttributionMethod<any>;
  parameters: Record<string, unknown>;
  attributedFunction: ResolvedStepFunction;
  stepScores: ResolvedStepFunction[];
  /** The user's aggregation steps, validated; undefined for the default, [] for none at all. */
  aggregate: AggregationStep[] | undefined;
  attributeTarget: boolean;
}

/** A step function looked up by id and its parameters parsed with its schema (`role` names it in errors). */
export function resolveStepFunction(choice: string | StepFunctionChoice, role: string): ResolvedStepFunction {
  const { id, parameters } = typeof choice === "string" ? { id: choice, parameters: undefined } : choice;
  const stepFunction = getStepFunction(id);
  return {
    id,
    parameters: parseParameters(stepFunction.parameters, parameters, `${role} "${id}"`),
    stepFunction,
  };
}

function usesGradients(method: AttributionMethod<unknown>): boolean {
  return method.family === "gradient" || method.requires.some((need) => need.startsWith("gradients"));
}

/**
 * Looks up and validates everything the options name, so that a typo fails in
 * milliseconds rather than after a generation: the method (`UNKNOWN_ID`), the
 * model's capabilities (`MISSING_CAPABILITY`), the method's parameters
 * (`INVALID_PARAMETERS`), the attributed function (`NOT_DIFFERENTIABLE` for a
 * value-only one under a gradient method), step scores and aggregation steps.
 */
export function resolvePlan(model: LanguageModel, options: AttributeOptions): AttributionPlan {
  const method = getMethod(options.method ?? DEFAULT_METHOD);
  assertCapabilities(model, method.requires, `Method "${method.id}"`);
  const parameters = parseParameters(method.parameters, options.parameters, method.id) as Record<
    string,
    unknown
  >;
  const attributedFunction = resolveStepFunction(
    options.attributedFunction ?? DEFAULT_ATTRIBUTED_FUNCTION,
    "Attributed function",
  );
  if (usesGradients(method) && !attributedFunction.stepFunction.differentiable) {
    throw new TokenscopeError(
      "NOT_DIFFERENTIABLE",
      `Method "${method.id}" differentiates the attributed function, but step function "${attributedFunction.id}" is value-only.`,
      {
        hint: `Record "${attributedFunction.id}" with \`stepScores\` instead, and attribute a differentiable step function such as probability or logprob.`,
        details: { method: method.id, stepFunction: attributedFunction.id },
      },
    );
  }
  const stepScores = (options.stepScores ?? []).map((choice) => resolveStepFunction(choice, "Step score"));
  checkContrastOptions(options, method);
  const seen = new Set<string>();
  for (const score of stepScores) {
    if (seen.has(score.id)) {
      throw new TokenscopeError("INVALID_INPUT", `Step score "${score.id}" is listed twice.`, {
        hint: "Results key step scores by id: list each step function once.",
        details: { stepScore: score.id },
      });
    }
    seen.add(score.id);
  }
  for (const step of options.aggregate ?? []) {
    const { id, parameters: raw } = typeof step === "string" ? { id: step, parameters: undefined } : step;
    parseParameters(getAggregator(id).parameters, raw, id);
  }
  // Inseq attributes a decoder-only model's step over the whole prefix (prompt and earlier generated
  // tokens) and normalises over both; encoder-decoder models attribute the source alone unless asked.
  const attributeTarget =
    options.attributeTarget ?? (method.supports.targetPrefix && !model.info.encoderDecoder);
  if (attributeTarget && !method.supports.targetPrefix) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Method "${method.id}" does not attribute to target-prefix tokens.`,
      {
        hint: "Leave out `attributeTarget`, or pick a method that supports it (saliency, integrated_gradients, ...).",
        details: { method: method.id },
      },
    );
  }
  return {
    method,
    parameters,
    attributedFunction,
    stepScores,
    aggregate: options.aggregate ? [...options.aggregate] : undefined,
    attributeTarget,
  };
}
