import { limits } from "../limits/index.ts";

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
 * Levels of a saved result's own structure above its deepest free-form field (the `{` of
 * `sequences[i].aggregation[j].parameters` opens level 6), with room to spare: a file may nest
 * `limits.jsonDepth` levels more, so that every result whose free-form fields are within the limit
 * loads back.
 */
export const RESULT_STRUCTURE_DEPTH = 8;

/** How many segments of a path a "nested too deep" finding keeps: the rest would fill the message. */
const SHOWN_PATH_SEGMENTS = 8;

/** One value still to check, with how it was reached (kept as links, so a path is built only when needed). */
interface Pending {
  value: unknown;
  parent: Pending | undefined;
  key: string | number;
  depth: number;
}

function pathOf(entry: Pending, prefix: readonly (string | number)[]): (string | number)[] {
  const keys: (string | number)[] = [];
  for (let at: Pending | undefined = entry; at?.parent; at = at.parent) keys.push(at.key);
  return [...prefix, ...keys.reverse()];
}

/**
 * The first place in `value` (in document order) that JSON cannot hold without change (undefined
 * array items, functions, bigints, NaN or Infinity, typed arrays, Dates, class instances), or that
 * nests arrays and objects deeper than `limits.jsonDepth` (a cycle does), or null when `value` is
 * plain JSON. Walks with its own stack, so no depth of nesting can overflow the call stack.
 */
export function findNonJson(value: unknown, path: (string | number)[] = []): NonJsonValue | null {
  const maxDepth = limits.jsonDepth.max;
  const pending: Pending[] = [{ value, parent: undefined, key: "", depth: 0 }];
  while (pending.length > 0) {
    const entry = pending.pop()!;
    const item = entry.value;
    if (item === null || typeof item === "string" || typeof item === "boolean") continue;
    if (typeof item === "number") {
      if (!Number.isFinite(item)) return { path: pathOf(entry, path), found: String(item) };
      continue;
    }
    if (typeof item !== "object" || !(Array.isArray(item) || isPlainObject(item)))
      return { path: pathOf(entry, path), found: describe(item) };
    if (entry.depth >= maxDepth) {
      return {
        path: pathOf(entry, path).slice(0, path.length + SHOWN_PATH_SEGMENTS),
        found: `arrays or objects nested more than ${maxDepth.toLocaleString("en-US")} levels deep (tokenscope's limit jsonDepth)`,
      };
    }
    const children: [string | number, unknown][] = Array.isArray(item)
      ? Array.from(item, (child, index) => [index, child])
      : Object.entries(item);
    // Pushed last to first, so that the first child is checked first.
    for (let index = children.length - 1; index >= 0; index--) {
      const [key, child] = children[index]!;
      pending.push({ value: child, parent: entry, key, depth: entry.depth + 1 });
    }
  }
  return null;
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
  // JSON.stringify recurses: past some thousands of levels (or in a cycle, before it notices) it
  // overflows the stack, a RangeError that would read as a bug.
  if (nestsDeeperThan(value, limits.jsonDepth.max)) {
    throw new RangeError(
      `it nests arrays or objects more than ${limits.jsonDepth.max.toLocaleString("en-US")} levels deep (tokenscope's limit jsonDepth), or contains itself`,
    );
  }
  const text = JSON.stringify(value, (_key, item: unknown) =>
    ArrayBuffer.isView(item) && !(item instanceof DataView)
      ? Array.from(item as unknown as ArrayLike<number>)
      : item,
  );
  return text === undefined ? undefined : JSON.parse(text);
}

/** True when arrays and objects in `value` nest deeper than `maxDepth` (a cycle always does); no recursion. */
function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (item === null || typeof item !== "object" || ArrayBuffer.isView(item)) continue;
    if (depth >= maxDepth) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
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
