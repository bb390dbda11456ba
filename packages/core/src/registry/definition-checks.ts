import { capabilities } from "../model/capabilities.ts";
import { quoteForMessage } from "../text/quote-for-message.ts";

/*
 * What a registry checks of a definition before accepting it. Definitions come from plugins at run
 * time, so TypeScript's types are no guarantee: a JavaScript plugin can export anything. Each check
 * returns the problems it found, in words a plugin author can act on; an empty list means accepted.
 */

/** A definition as it arrives: any value, read field by field. */
export type UntrustedDefinition = Readonly<Record<string, unknown>>;

/** One field rule: a problem in words, or undefined when the field is fine. */
type FieldCheck = (definition: UntrustedDefinition) => string | undefined;

/** The longest id a registry accepts: ids are typed on command lines and printed in tables. */
const MAX_ID_LENGTH = 128;

const ID_PATTERN = /^[a-z0-9][a-z0-9_.:/-]*$/i;

/** A short, terminal-safe description of a value for a message ("a number (42)", "undefined"). */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Problems of an id: a non-empty string of letters, digits and `_ . : / -`, starting with a letter or digit. */
export function idProblem(id: unknown): string | undefined {
  if (typeof id !== "string") return `id must be a string, got ${describeValue(id)}`;
  if (id.length === 0) return "id must not be empty";
  if (id.length > MAX_ID_LENGTH) return `id must be at most ${MAX_ID_LENGTH} characters, got ${id.length}`;
  if (!ID_PATTERN.test(id)) {
    return `id ${quoteForMessage(id)} must start with a letter or digit and use only letters, digits and _ . : / - (no spaces or control characters)`;
  }
  return undefined;
}

/** True for a Standard Schema (zod, valibot, arktype, or hand-written): `~standard.validate` is a function. */
function isStandardSchema(value: unknown): boolean {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const standard = (value as Record<string, unknown>)["~standard"];
  return (
    typeof standard === "object" &&
    standard !== null &&
    typeof (standard as Record<string, unknown>)["validate"] === "function"
  );
}

const string =
  (field: string): FieldCheck =>
  (definition) =>
    typeof definition[field] === "string"
      ? undefined
      : `${field} must be a string, got ${describeValue(definition[field])}`;

const nonEmptyString =
  (field: string): FieldCheck =>
  (definition) =>
    typeof definition[field] === "string" && (definition[field] as string).length > 0
      ? undefined
      : `${field} must be a non-empty string, got ${describeValue(definition[field])}`;

const functionField =
  (field: string): FieldCheck =>
  (definition) =>
    typeof definition[field] === "function"
      ? undefined
      : `${field} must be a function, got ${describeValue(definition[field])}`;

const booleanField =
  (field: string, optional = false): FieldCheck =>
  (definition) =>
    typeof definition[field] === "boolean" || (optional && definition[field] === undefined)
      ? undefined
      : `${field} must be true or false, got ${describeValue(definition[field])}`;

const oneOf =
  (field: string, allowed: readonly string[]): FieldCheck =>
  (definition) =>
    definition[field] === undefined || allowed.includes(definition[field] as string)
      ? undefined
      : `${field} must be one of ${allowed.join(", ")} or absent, got ${describeValue(definition[field])}`;

const parameterSchema: FieldCheck = (definition) =>
  isStandardSchema(definition["parameters"])
    ? undefined
    : `parameters must be a Standard Schema (a zod, valibot or arktype schema, or an object with "~standard".validate), got ${describeValue(definition["parameters"])}`;

const requiredCapabilities: FieldCheck = (definition) => {
  const requires = definition["requires"];
  if (!Array.isArray(requires))
    return `requires must be an array of capabilities, got ${describeValue(requires)}`;
  const unknown = requires.filter((need) => !(capabilities as readonly unknown[]).includes(need));
  return unknown.length === 0
    ? undefined
    : `requires lists ${unknown.map(describeValue).join(", ")}, not capabilities (known: ${capabilities.join(", ")})`;
};

const supportFlags: FieldCheck = (definition) => {
  const supports = definition["supports"];
  if (typeof supports !== "object" || supports === null || Array.isArray(supports)) {
    return `supports must be an object { targetPrefix, contrastive, batching }, got ${describeValue(supports)}`;
  }
  const flags = ["targetPrefix", "contrastive", "batching"];
  const wrong = flags.filter((flag) => typeof (supports as Record<string, unknown>)[flag] !== "boolean");
  return wrong.length === 0 ? undefined : `supports.${wrong.join(", supports.")} must be true or false`;
};

const references: FieldCheck = (definition) => {
  const value = definition["references"];
  return value === undefined || (Array.isArray(value) && value.every((entry) => typeof entry === "string"))
    ? undefined
    : `references must be an array of strings or absent, got ${describeValue(value)}`;
};

function problemsOf(definition: UntrustedDefinition, checks: readonly FieldCheck[]): string[] {
  return checks
    .map((check) => check(definition))
    .filter((problem): problem is string => problem !== undefined);
}

/** Problems of an attribution method definition (see `AttributionMethod`), its id aside. */
export function methodProblems(definition: UntrustedDefinition): string[] {
  return problemsOf(definition, [
    nonEmptyString("family"),
    string("summary"),
    string("description"),
    references,
    requiredCapabilities,
    supportFlags,
    booleanField("normalizeByDefault", true),
    parameterSchema,
    functionField("run"),
  ]);
}

/** Problems of a step function definition (see `StepFunction`), its id aside. */
export function stepFunctionProblems(definition: UntrustedDefinition): string[] {
  return problemsOf(definition, [
    string("summary"),
    string("description"),
    nonEmptyString("unit"),
    booleanField("differentiable"),
    oneOf("merge", ["sum", "prod", "absmax"]),
    oneOf("contrast", ["input", "target", "either"]),
    parameterSchema,
    functionField("evaluate"),
  ]);
}

/** Problems of an aggregator definition (see `Aggregator`), its id aside. */
export function aggregatorProblems(definition: UntrustedDefinition): string[] {
  return problemsOf(definition, [
    nonEmptyString("kind"),
    string("summary"),
    string("description"),
    parameterSchema,
    functionField("apply"),
  ]);
}
