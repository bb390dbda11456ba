import { attribute } from "../attribute/attribute.ts";
import { isTokenscopeError } from "../errors/index.ts";
import { limits } from "../limits/index.ts";
import type { AttributionMethod } from "../methods/types.ts";
import { methodRegistry } from "../registry/registries.ts";
import { type ParameterSchema, parameterJsonSchema } from "../schema/parameters.ts";
import { createUntouchableModel } from "./untouchable-model.ts";

/**
 * Parameters that hold indices or seeds, not amounts of work: a layer, head or token index is checked
 * against the model or sequence it points into, and a seed costs nothing.
 */
export const INDEX_PARAMETERS: readonly string[] = [
  "seed",
  "layer",
  "layers",
  "heads",
  "measure_layer",
  "keep",
  "spans",
  "groups",
];

// Names that say a number counts something the run repeats, whatever type the schema gives it.
const SIZE_NAME = /(^|_)(n|num|samples?|steps?|probes?|batch|size|count|top_k|top_n)(_|$)/i;

type JsonSchema = Record<string, unknown>;

function integerNodes(schema: unknown, found: JsonSchema[] = []): JsonSchema[] {
  if (!schema || typeof schema !== "object") return found;
  const node = schema as JsonSchema;
  if (node["type"] === "integer") found.push(node);
  for (const key of ["anyOf", "oneOf", "allOf", "prefixItems"]) {
    for (const child of (node[key] as unknown[] | undefined) ?? []) integerNodes(child, found);
  }
  if (node["items"]) integerNodes(node["items"], found);
  for (const child of Object.values((node["properties"] as JsonSchema | undefined) ?? {})) {
    integerNodes(child, found);
  }
  return found;
}

function numericNodes(schema: unknown): JsonSchema[] {
  if (!schema || typeof schema !== "object") return [];
  const node = schema as JsonSchema;
  if (node["type"] === "number" || node["type"] === "integer") return [node];
  return ((node["anyOf"] as unknown[] | undefined) ?? []).flatMap(numericNodes);
}

function bounded(node: JsonSchema): boolean {
  const maximum = node["maximum"] ?? node["exclusiveMaximum"];
  return typeof maximum === "number" && maximum < Number.MAX_SAFE_INTEGER;
}

/**
 * What keeps a parameter schema from documenting a bound for every size it takes: each integer
 * parameter (and each number whose name says it counts work: steps, samples, batch sizes, top-k)
 * needs a `maximum` below 2^53, and its description must state that maximum, so that `--n-steps
 * 1e9` fails before any work and the docs say where the line is. Parameters named in `indices`
 * ({@link INDEX_PARAMETERS} by default) are exempt. Returns one line per problem; [] when none.
 */
export function unboundedParameters(
  schema: ParameterSchema<unknown>,
  indices: readonly string[] = INDEX_PARAMETERS,
): string[] {
  const json = parameterJsonSchema(schema);
  if (!json) return ["the schema gives no JSON Schema, so its bounds cannot be checked"];
  const problems: string[] = [];
  const properties = (json["properties"] as Record<string, JsonSchema> | undefined) ?? {};
  for (const [name, property] of Object.entries(properties)) {
    if (indices.includes(name)) continue;
    const sizes = [...integerNodes(property), ...(SIZE_NAME.test(name) ? numericNodes(property) : [])];
    for (const node of new Set(sizes)) {
      if (!bounded(node)) {
        problems.push(`${name}: no maximum (add .max(limits.<name>.max, describeLimit(<name>)))`);
        continue;
      }
      const maximum = (node["maximum"] ?? node["exclusiveMaximum"]) as number;
      const description = String(property["description"] ?? "");
      // A bound of 1 is a fraction's (top_p), which says itself.
      if (maximum > 1 && !description.includes(maximum.toLocaleString("en-US"))) {
        problems.push(
          `${name}: the description does not state the maximum ${maximum.toLocaleString("en-US")}`,
        );
      }
    }
  }
  return problems;
}

function boundedSizes(schema: ParameterSchema<unknown>, indices: readonly string[]): [string, number][] {
  const properties = (parameterJsonSchema(schema)?.["properties"] as Record<string, JsonSchema>) ?? {};
  return Object.entries(properties).flatMap(([name, property]): [string, number][] => {
    const maximum = property["maximum"];
    if (indices.includes(name) || property["type"] !== "integer" || typeof maximum !== "number") return [];
    return maximum > 1 && maximum < Number.MAX_SAFE_INTEGER ? [[name, maximum]] : [];
  });
}

/**
 * Runs `attribute()` once per bounded size parameter of `method`, with the parameter one above its
 * maximum, on a model that throws when touched: each run must fail with `INVALID_PARAMETERS` whose
 * message names the parameter, the bound and the reason of a {@link limits} entry, before the model
 * is used at all. Registers the method for the duration when it is not registered. Returns one line
 * per problem; [] when none.
 */
export async function boundsRefusedBeforeWork(
  method: AttributionMethod<unknown>,
  indices: readonly string[] = INDEX_PARAMETERS,
): Promise<string[]> {
  const registered = methodRegistry.has(method.id);
  if (!registered) methodRegistry.register(method);
  const problems: string[] = [];
  try {
    for (const [name, maximum] of boundedSizes(method.parameters, indices)) {
      const { model, calls } = createUntouchableModel();
      const error = await attribute(model, "abc", {
        method: method.id,
        parameters: { [name]: maximum + 1 },
        target: "x",
      }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      const message = error instanceof Error ? error.message : String(error);
      const reasons = Object.values(limits)
        .filter((limit) => limit.max === maximum)
        .map((limit) => limit.reason);
      if (!isTokenscopeError(error, "INVALID_PARAMETERS")) problems.push(`${name}: not refused (${message})`);
      else if (!message.includes(name) || !message.includes(maximum.toLocaleString("en-US")))
        problems.push(`${name}: the message does not name the parameter and its bound: ${message}`);
      else if (!reasons.some((reason) => message.includes(reason)))
        problems.push(`${name}: the message gives no reason from the limits table: ${message}`);
      if (calls.length > 0) problems.push(`${name}: the model was used first (${calls.join(", ")})`);
    }
  } finally {
    if (!registered) methodRegistry.unregister(method.id);
  }
  return problems;
}
