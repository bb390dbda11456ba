import type { StandardSchemaV1 } from "@standard-schema/spec";
import { TokenscopeError } from "../errors/index.ts";

/**
 * A parameter schema: any Standard Schema (zod, valibot, arktype, ...), so plugin
 * authors pick their own library. Defaults are whatever the schema fills in
 * when a parameter is absent.
 */
export type ParameterSchema<Output = Record<string, unknown>> = StandardSchemaV1<unknown, Output>;

/**
 * Validates `input` against `schema` and returns the parsed parameters with
 * defaults applied; throws `INVALID_PARAMETERS` with the schema's messages.
 */
export function parseParameters<Output>(
  schema: ParameterSchema<Output>,
  input: unknown,
  owner: string,
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
        hint: `Run \`tokenscope methods explain ${owner}\` to see the accepted parameters.`,
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
