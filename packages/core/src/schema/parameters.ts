import type { StandardSchemaV1 } from "@standard-schema/spec";
import { TokenscopeError } from "../errors/index.ts";

/**
 * A parameter schema: any Standard Schema (zod, valibot, arktype, ...), so plugin
 * authors pick their own library. Defaults are whatever the schema fills in
 * when a parameter is absent.
 */
export type ParameterSchema<Output = Record<string, unknown>> = StandardSchemaV1<unknown, Output>;

/**
 * The id `tokenscope methods explain` takes for an owner: the quoted id of a phrase such as
 * `Attributed function "probability"` or `Step score "entropy"`, else the owner itself (a bare id).
 */
function explainedId(owner: string): string {
  const quoted = /"([^"]+)"$/.exec(owner);
  return quoted ? quoted[1]! : owner;
}

/**
 * Validates `input` against `schema` and returns the parsed parameters with
 * defaults applied; throws `INVALID_PARAMETERS` with the schema's messages.
 * `owner` names what the parameters are for in the message: an id (`integrated_gradients`) or a
 * phrase ending in the quoted id (`Attributed function "probability"`); the hint's
 * `tokenscope methods explain <id>` takes `id` when given, else that quoted id.
 * Unknown keys are refused only when the schema is strict (`z.strictObject`, as every built-in
 * method, step function and aggregator schema is).
 */
export function parseParameters<Output>(
  schema: ParameterSchema<Output>,
  input: unknown,
  owner: string,
  id: string = explainedId(owner),
): Output {
  const result = schema["~standard"].validate(input ?? {});
  if (result instanceof Promise) {
    throw new TokenscopeError("INVALID_PARAMETERS", `The parameter schema of ${owner} is asynchronous.`, {
      hint: "Parameter schemas must validate synchronously.",
    });
  }
  if (result.issues) {
    const problems = result.issues.map((issue) => {
      const path = (issue.path ?? [])
        .map((segment) => (typeof segment === "object" ? segment.key : segment))
        .join(".");
      return path ? `${path}: ${issue.message}` : issue.message;
    });
    throw new TokenscopeError(
      "INVALID_PARAMETERS",
      `Invalid parameters for ${owner}: ${problems.join("; ")}.`,
      {
        hint: `Run \`tokenscope methods explain ${id}\` to see the accepted parameters.`,
        details: { owner, issues: problems },
      },
    );
  }
  return result.value;
}

/** JSON Schema of a parameter schema, when its library can produce one (zod 4 can). */
export function parameterJsonSchema(schema: ParameterSchema<unknown>): Record<string, unknown> | undefined {
  const standard = schema["~standard"] as { jsonSchema?: { input?: (options: unknown) => unknown } };
  const fromStandard = standard.jsonSchema?.input?.({ target: "draft-2020-12" });
  if (fromStandard && typeof fromStandard === "object") return fromStandard as Record<string, unknown>;
  const toJSONSchema = (schema as { toJSONSchema?: () => unknown }).toJSONSchema;
  if (typeof toJSONSchema === "function") return toJSONSchema.call(schema) as Record<string, unknown>;
  return undefined;
}
