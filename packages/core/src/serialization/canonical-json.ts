import { TokenscopeError } from "../errors/index.ts";

/**
 * `value` as JSON text with every object's keys sorted and `undefined` members left out, so that two
 * equal values give the same text whatever order their keys were written in: what cache keys and run
 * fingerprints hash. `root` names the value in errors.
 * @throws TokenscopeError INVALID_INPUT for a value JSON cannot hold (a function, a bigint, NaN, a cycle).
 */
export function canonicalJson(value: unknown, root = "value"): string {
  const seen = new Set<object>();
  const walk = (at: unknown, path: string): string => {
    if (at === null || typeof at === "boolean" || typeof at === "string") return JSON.stringify(at);
    if (typeof at === "number") {
      if (!Number.isFinite(at)) throw notJson(path, String(at));
      return JSON.stringify(at);
    }
    if (typeof at !== "object") throw notJson(path, typeof at);
    if (seen.has(at)) throw notJson(path, "a cycle");
    seen.add(at);
    try {
      if (Array.isArray(at)) {
        return `[${at.map((entry, index) => walk(entry === undefined ? null : entry, `${path}[${index}]`)).join(",")}]`;
      }
      const record = at as Record<string, unknown>;
      const members = Object.keys(record)
        .filter((name) => record[name] !== undefined)
        .sort()
        .map((name) => `${JSON.stringify(name)}:${walk(record[name], `${path}.${name}`)}`);
      return `{${members.join(",")}}`;
    } finally {
      seen.delete(at);
    }
  };
  return walk(value, root);
}

function notJson(path: string, found: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", `${path} is ${found}, which JSON cannot hold.`, {
    hint: "Give plain JSON values (strings, finite numbers, booleans, null, arrays, objects).",
    details: { path },
  });
}
