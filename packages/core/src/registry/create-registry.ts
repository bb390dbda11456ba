import { TokenscopeError } from "../errors/index.ts";

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

const ID_PATTERN = /^[a-z0-9][a-z0-9_.:/-]*$/i;

/**
 * Makes a registry of `kind` ("method", "step function", ...). `get` of an
 * unknown id throws `UNKNOWN_ID` listing what is registered.
 */
export function createRegistry<T extends { id: string }>(kind: string, listCommand: string): Registry<T> {
  const entries = new Map<string, T>();
  return {
    kind,
    register(definition, options = {}) {
      if (!ID_PATTERN.test(definition.id)) {
        throw new TokenscopeError("INVALID_INPUT", `Cannot register ${kind} with id "${definition.id}".`, {
          hint: "Ids start with a letter or digit and use letters, digits, _ . : / - only.",
          details: { kind, id: definition.id },
        });
      }
      if (entries.has(definition.id) && !options.overwrite) {
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
        throw new TokenscopeError("UNKNOWN_ID", `No ${kind} is registered with id "${id}".`, {
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
