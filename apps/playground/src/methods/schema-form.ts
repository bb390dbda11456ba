/**
 * A method's parameter form, generated from its JSON Schema (zod 4's `z.toJSONSchema`): numbers,
 * integers, enums, booleans, strings and arrays of numbers get a field each, with the schema's
 * default filled in and its description as help. Anything else keeps its default and is listed
 * as such, so the form never sends a value it cannot show.
 */

/** One field of the form. */
export type FormField =
  | {
      kind: "number" | "integer";
      name: string;
      description?: string;
      default?: number;
      minimum?: number;
      maximum?: number;
    }
  | { kind: "enum"; name: string; description?: string; default?: string; options: string[] }
  | { kind: "boolean"; name: string; description?: string; default: boolean }
  | { kind: "string"; name: string; description?: string; default?: string }
  | { kind: "number-array"; name: string; description?: string; default?: number[] }
  | { kind: "fixed"; name: string; description?: string };

type JsonSchema = Record<string, unknown>;

const numberOr = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);
const stringOr = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

function withDescription<T extends object>(field: T, description: unknown): T & { description?: string } {
  return typeof description === "string" ? { ...field, description } : field;
}

/** The field of one property; "fixed" when the form cannot edit it. */
export function fieldOf(name: string, property: JsonSchema): FormField {
  const description = property["description"];
  const fallback = property["default"];
  const type = property["type"];
  if (Array.isArray(property["enum"]) && property["enum"].every((option) => typeof option === "string")) {
    const options = property["enum"] as string[];
    const chosen = stringOr(fallback);
    return withDescription(
      { kind: "enum", name, options, ...(chosen !== undefined ? { default: chosen } : {}) },
      description,
    );
  }
  if (type === "number" || type === "integer") {
    const minimum = numberOr(property["minimum"]) ?? numberOr(property["exclusiveMinimum"]);
    const maximum = numberOr(property["maximum"]) ?? numberOr(property["exclusiveMaximum"]);
    const chosen = numberOr(fallback);
    return withDescription(
      {
        kind: type,
        name,
        ...(chosen !== undefined ? { default: chosen } : {}),
        ...(minimum !== undefined ? { minimum } : {}),
        ...(maximum !== undefined && maximum < Number.MAX_SAFE_INTEGER ? { maximum } : {}),
      },
      description,
    );
  }
  if (type === "boolean")
    return withDescription({ kind: "boolean", name, default: fallback === true }, description);
  if (type === "string") {
    const chosen = stringOr(fallback);
    return withDescription(
      { kind: "string", name, ...(chosen !== undefined ? { default: chosen } : {}) },
      description,
    );
  }
  const items = property["items"] as JsonSchema | undefined;
  if (type === "array" && (items?.["type"] === "number" || items?.["type"] === "integer")) {
    const chosen =
      Array.isArray(fallback) && fallback.every((value) => typeof value === "number") ? fallback : undefined;
    return withDescription(
      { kind: "number-array", name, ...(chosen ? { default: chosen as number[] } : {}) },
      description,
    );
  }
  return withDescription({ kind: "fixed", name }, description);
}

/** The fields of a parameters schema (an object schema), in its property order. */
export function formFields(schema: JsonSchema | undefined): FormField[] {
  const properties = (schema?.["properties"] ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, property]) => fieldOf(name, property));
}

/** What a field's input shows before the user changes it. */
export function initialInput(field: FormField): string | boolean {
  switch (field.kind) {
    case "boolean":
      return field.default;
    case "number":
    case "integer":
      return field.default === undefined ? "" : String(field.default);
    case "number-array":
      return field.default?.join(", ") ?? "";
    case "fixed":
      return "";
    default:
      return field.default ?? "";
  }
}

/** The initial inputs of every field, by name. */
export function initialInputs(fields: readonly FormField[]): Record<string, string | boolean> {
  return Object.fromEntries(fields.map((field) => [field.name, initialInput(field)]));
}

/** One field's value from its input; undefined leaves the parameter to its default. */
function parameterValue(field: FormField, input: string | boolean | undefined): unknown {
  if (input === undefined || field.kind === "fixed") return undefined;
  if (field.kind === "boolean") return input === true;
  const text = String(input).trim();
  if (text === "") return undefined;
  if (field.kind === "number" || field.kind === "integer") return Number(text);
  if (field.kind === "number-array")
    return text
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
  return text;
}

/**
 * The parameters to send: each editable field's value (numbers parsed, lists split on commas or
 * spaces); empty and fixed fields are left out so the method's schema fills in its default. The
 * method's schema validates the result in the worker, with its own messages.
 */
export function formParameters(
  fields: readonly FormField[],
  inputs: Readonly<Record<string, string | boolean>>,
): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const field of fields) {
    const value = parameterValue(field, inputs[field.name]);
    if (value !== undefined) parameters[field.name] = value;
  }
  return parameters;
}
