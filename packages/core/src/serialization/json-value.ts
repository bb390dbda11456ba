/*
 * Free-form JSON fields (extras, parameters): what may be stored in them, how
 * they are normalised on save, and how saved results are written as text.
 */

/** Where a value stops being JSON, and what was found there. */
export interface NonJsonValue {
  path: (string | number)[];
  found: string;
}

/**
 * The first place in `value` that JSON cannot hold without change (undefined
 * array items, functions, bigints, NaN or Infinity, typed arrays, Dates, class
 * instances), or null when `value` is plain JSON.
 */
export function findNonJson(value: unknown, path: (string | number)[] = []): NonJsonValue | null {
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") return Number.isFinite(value) ? null : { path, found: String(value) };
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = findNonJson(value[index], [...path, index]);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === "object" && isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const found = findNonJson(item, [...path, key]);
      if (found) return found;
    }
    return null;
  }
  return { path, found: describe(value) };
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "object") return (value as object).constructor?.name ?? "an object";
  return typeof value;
}

/**
 * Turns a free-form field into plain JSON the way `JSON.stringify` would, except
 * that typed arrays become number arrays instead of index-keyed objects. Throws
 * what `JSON.stringify` throws (bigints, cycles).
 */
export function toJsonValue(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value, (_key, item: unknown) =>
    ArrayBuffer.isView(item) && !(item instanceof DataView)
      ? Array.from(item as unknown as ArrayLike<number>)
      : item,
  );
  return text === undefined ? undefined : JSON.parse(text);
}

/**
 * `JSON.stringify` with `indent` spaces, except that arrays holding only
 * numbers, strings, booleans and nulls stay on one line, so an indented
 * attribution matrix reads as one row per line.
 */
export function stringifyJson(value: unknown, indent: number): string {
  if (indent <= 0) return JSON.stringify(value);
  const step = " ".repeat(indent);
  const write = (node: unknown, margin: string): string => {
    if (node === null || typeof node !== "object") return JSON.stringify(node);
    const inner = margin + step;
    if (Array.isArray(node)) {
      if (node.every((item) => item === null || typeof item !== "object")) return JSON.stringify(node);
      return `[\n${node.map((item) => inner + write(item, inner)).join(",\n")}\n${margin}]`;
    }
    const entries = Object.entries(node).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return "{}";
    const lines = entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${write(item, inner)}`);
    return `{\n${lines.join(",\n")}\n${margin}}`;
  };
  return write(value, "");
}
