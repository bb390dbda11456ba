import { TokenscopeError } from "@tokenscope/core";

/*
 * Stable ids for runs and items: a canonical JSON text (object keys sorted) and a 64-bit hash of it.
 * Not cryptographic: these tell runs and items apart, they do not defend against forgery.
 */

/**
 * `value` as JSON text with every object's keys sorted and `undefined` members left out, so that two
 * equal settings give the same text whatever order their keys were written in.
 * @throws TokenscopeError INVALID_INPUT for a value JSON cannot hold (a function, a bigint, NaN, a cycle).
 */
export function canonicalJson(value: unknown): string {
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
  return walk(value, "settings");
}

function notJson(path: string, found: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", `${path} is ${found}, which a run's settings cannot hold.`, {
    hint: "Give settings as plain JSON values (strings, finite numbers, booleans, null, arrays, objects).",
    details: { path },
  });
}

/** A 64-bit hash of `text` as 16 hex digits (two 32-bit FNV-1a-style lanes over UTF-16 code units). */
export function hashText(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    h1 = Math.imul(h1 ^ unit, 0x01000193);
    h2 = Math.imul(h2 ^ unit, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35) ^ (h1 >>> 16);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
  h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35) ^ (h2 >>> 16);
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}

/** The fingerprint of a run's settings: the hash of their {@link canonicalJson}. */
export function runFingerprint(settings: unknown): string {
  return hashText(canonicalJson(settings));
}

/**
 * A stable key for an item with this content at position `index`: `"<index>-<hash>"` (0-based
 * index). The same content at the same position gets the same key in every run; an edited or moved
 * item gets another. Shaped as `runItems`' `key`, so `key: contentKey` works as it is.
 */
export function contentKey(content: unknown, index: number): string {
  return `${index}-${hashText(typeof content === "string" ? content : canonicalJson(content))}`;
}
