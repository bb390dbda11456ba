import { TokenscopeError } from "../errors/index.ts";
import { parameterJsonSchema } from "../schema/parameters.ts";
import { quoteForMessage } from "../text/quote-for-message.ts";
import { aggregatorRegistry, methodRegistry, stepFunctionRegistry } from "./registries.ts";

/** Kinds of registered things {@link explain} documents. */
export type ExplainedKind = "method" | "stepFunction" | "aggregator";

/** Documentation of one registered id. */
export interface Explanation {
  kind: ExplainedKind;
  id: string;
  summary: string;
  description: string;
  /** JSON Schema of the parameters, when the schema library can produce one. */
  parameters?: Record<string, unknown>;
  /** Default parameter values (the schema applied to `{}`), when they validate. */
  defaults?: Record<string, unknown>;
  /** Kind-specific facts: family and capabilities of a method, unit of a step function, ... */
  facts: Record<string, unknown>;
}

function defaultsOf(schema: { "~standard": { validate: (value: unknown) => unknown } }) {
  const parsed = schema["~standard"].validate({}) as { value?: Record<string, unknown>; issues?: unknown };
  return parsed && !(parsed instanceof Promise) && !parsed.issues ? parsed.value : undefined;
}

/**
 * Documentation of any registered method, step function or aggregator (M17).
 * Looks in that order unless `kind` is given; throws `UNKNOWN_ID` when nothing matches.
 */
export function explain(id: string, kind?: ExplainedKind): Explanation {
  if ((!kind || kind === "method") && methodRegistry.has(id)) {
    const method = methodRegistry.get(id);
    return {
      kind: "method",
      id,
      summary: method.summary,
      description: method.description,
      parameters: parameterJsonSchema(method.parameters),
      defaults: defaultsOf(method.parameters),
      facts: {
        family: method.family,
        requires: [...method.requires],
        supports: method.supports,
        references: method.references ?? [],
      },
    };
  }
  if ((!kind || kind === "stepFunction") && stepFunctionRegistry.has(id)) {
    const stepFunction = stepFunctionRegistry.get(id);
    return {
      kind: "stepFunction",
      id,
      summary: stepFunction.summary,
      description: stepFunction.description,
      parameters: parameterJsonSchema(stepFunction.parameters),
      defaults: defaultsOf(stepFunction.parameters),
      facts: {
        unit: stepFunction.unit,
        differentiable: stepFunction.differentiable,
        contrast: stepFunction.contrast ?? null,
      },
    };
  }
  if ((!kind || kind === "aggregator") && aggregatorRegistry.has(id)) {
    const aggregator = aggregatorRegistry.get(id);
    return {
      kind: "aggregator",
      id,
      summary: aggregator.summary,
      description: aggregator.description,
      parameters: parameterJsonSchema(aggregator.parameters),
      defaults: defaultsOf(aggregator.parameters),
      facts: { kind: aggregator.kind },
    };
  }
  const known = [
    ...methodRegistry.list().map((entry) => entry.id),
    ...stepFunctionRegistry.list().map((entry) => entry.id),
    ...aggregatorRegistry.list().map((entry) => entry.id),
  ].sort();
  throw new TokenscopeError(
    "UNKNOWN_ID",
    `Nothing is registered with id ${quoteForMessage(id)}${kind ? ` as ${kind === "aggregator" ? "an" : "a"} ${kind}` : ""}.`,
    {
      hint: known.length ? `Known ids: ${known.join(", ")}.` : "Nothing is registered yet.",
      details: { id, kind, known },
    },
  );
}
