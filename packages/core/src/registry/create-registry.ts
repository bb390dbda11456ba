import { TokenscopeError } from "../errors/index.ts";
import { quoteForMessage } from "../text/quote-for-message.ts";
import { describeValue, idProblem, type UntrustedDefinition } from "./definition-checks.ts";

/** Options of a registration. */
export interface RegisterOptions {
  /** Replace an entry already registered under the same id instead of refusing. */
  overwrite?: boolean;
}

/** A name → definition map that refuses silent overwrites. */
export interface Registry<T extends { id: string }> {
  readonly kind: string;
  register(definition: T, options?: RegisterOptions): void;
  unregister(id: string): boolean;
  get(id: string): T;
  has(id: string): boolean;
  list(): T[];
}

/** Options of {@link createRegistry}. */
export interface CreateRegistryOptions {
  /**
   * The problems of a definition (an object) beyond its id (see `definition-checks.ts`), checked on
   * every registration: definitions arrive from plugins at run time, whatever their declared types.
   */
  validate?: (definition: UntrustedDefinition) => string[];
  /** What a valid definition holds, quoted in the hint of a refusal. */
  shape?: string;
}

/** Every problem of a definition: not an object, a bad id, then what `validate` finds. */
function definitionProblems(definition: unknown, validate: CreateRegistryOptions["validate"]): string[] {
  if (typeof definition !== "object" || definition === null || Array.isArray(definition)) {
    return [`the definition must be an object, got ${describeValue(definition)}`];
  }
  const record = definition as UntrustedDefinition;
  const idIssue = idProblem(record["id"]);
  return [...(idIssue ? [idIssue] : []), ...(validate?.(record) ?? [])];
}

/** The `INVALID_INPUT` error of a refused definition, listing every problem at once. */
function invalidDefinition(kind: string, definition: unknown, problems: string[], shape?: string) {
  const id = (definition as { id?: unknown } | null | undefined)?.id;
  const named = idProblem(id) === undefined ? ` ${JSON.stringify(id)}` : "";
  return new TokenscopeError(
    "INVALID_INPUT",
    `Cannot register the ${kind}${named}: ${problems.join("; ")}.`,
    {
      hint: shape
        ? `${/^[aeiou]/i.test(kind) ? "An" : "A"} ${kind} definition is an object with ${shape}.`
        : "Ids start with a letter or digit and use letters, digits, _ . : / - only.",
      details: { kind, id: typeof id === "string" ? id : describeValue(id), problems },
    },
  );
}

/**
 * Makes a registry of `kind` ("method", "step function", ...). Every registration is checked (the id
 * always, the rest by `options.validate`) and refused with `INVALID_INPUT` naming each problem; `get`
 * of an unknown id throws `UNKNOWN_ID` listing what is registered.
 */
export function createRegistry<T extends { id: string }>(
  kind: string,
  listCommand: string,
  options: CreateRegistryOptions = {},
): Registry<T> {
  const entries = new Map<string, T>();
  return {
    kind,
    register(definition, registerOptions = {}) {
      const problems = definitionProblems(definition, options.validate);
      if (problems.length > 0) throw invalidDefinition(kind, definition, problems, options.shape);
      if (entries.has(definition.id) && !registerOptions.overwrite) {
        throw new TokenscopeError(
          "DUPLICATE_ID",
          `A ${kind} with id "${definition.id}" is already registered.`,
          {
            hint: "Pick another id, or pass { overwrite: true } to replace it on purpose.",
            details: { kind, id: definition.id },
          },
        );
      }
      entries.set(definition.id, definition);
    },
    unregister(id) {
      return entries.delete(id);
    },
    get(id) {
      const definition = entries.get(id);
      if (!definition) {
        const known = [...entries.keys()].sort();
        throw new TokenscopeError("UNKNOWN_ID", `No ${kind} is registered with id ${quoteForMessage(id)}.`, {
          hint: known.length
            ? `Registered: ${known.join(", ")}. Run \`${listCommand}\` for details.`
            : "Nothing is registered yet: import the `tokenscope` package (or register your own) first.",
          details: { kind, id, known },
        });
      }
      return definition;
    },
    has(id) {
      return entries.has(id);
    },
    list() {
      return [...entries.values()];
    },
  };
}
