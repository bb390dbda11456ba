/**
 * The registry of gradient rules, keyed by (domain, opType). It refuses a second rule for the same
 * operator unless told to overwrite: a silently shadowed rule is a wrong gradient nobody notices.
 */
import { TensorBackendError } from "../errors.ts";
import { gradientRules } from "./rules/index.ts";
import type { GradientRule } from "./types.ts";

/** Looks rules up by operator. */
export interface RuleRegistry {
  /** The rule for an operator at the model's opset, if any. */
  get(opType: string, domain: string, opset?: number): GradientRule | undefined;
  /** Every registered rule. */
  rules(): GradientRule[];
}

/** Options of {@link createRuleRegistry}. */
export interface RuleRegistryOptions {
  /** Let a later rule replace an earlier one for the same operator (default false: throw). */
  overwrite?: boolean;
}

/** "" and "ai.onnx" name the same (default) domain. */
export function normalizeDomain(domain: string): string {
  return domain === "ai.onnx" ? "" : domain;
}

function keyOf(opType: string, domain: string): string {
  return `${normalizeDomain(domain)}::${opType}`;
}

/**
 * A registry over `rules`.
 * @throws TensorBackendError INVALID_ARGUMENT on two rules for one operator without `overwrite`.
 */
export function createRuleRegistry(
  rules: readonly GradientRule[],
  options: RuleRegistryOptions = {},
): RuleRegistry {
  const byKey = new Map<string, GradientRule>();
  for (const rule of rules) {
    const key = keyOf(rule.opType, rule.domain);
    if (byKey.has(key) && options.overwrite !== true) {
      throw new TensorBackendError(
        "INVALID_ARGUMENT",
        `two gradient rules for ${rule.domain || "ai.onnx"}.${rule.opType}`,
        { hint: "Remove one, or pass { overwrite: true } to replace the earlier rule on purpose." },
      );
    }
    byKey.set(key, rule);
  }
  return {
    get(opType, domain, opset) {
      const rule = byKey.get(keyOf(opType, domain));
      if (rule === undefined) return undefined;
      if (opset !== undefined && rule.sinceVersion !== undefined && opset < rule.sinceVersion)
        return undefined;
      return rule;
    },
    rules: () => [...byKey.values()],
  };
}

let builtIn: RuleRegistry | undefined;

/** The registry of the built-in rules (created on first use). */
export function defaultRuleRegistry(): RuleRegistry {
  builtIn ??= createRuleRegistry(gradientRules);
  return builtIn;
}

/** Whether a built-in gradient rule exists for an operator (domain "" for standard ONNX). */
export function hasGradientRule(opType: string, domain = ""): boolean {
  return defaultRuleRegistry().get(opType, domain) !== undefined;
}
