import { controlPicture, escapeControlCharacters } from "./control-characters.ts";
import { jsonSafe } from "./json-safe.ts";

/** How many characters of a string {@link quoteForMessage} shows by default. */
const DEFAULT_MAX_CHARS = 200;

/**
 * A value from a file or an argument (a config's model_type, a tensor name, a dtype, a result's key) as
 * an error message may quote it: a string in double quotes, `"` `\` LF and TAB escaped as JSON
 * escapes them and every other control character shown as the output gate shows it (ESC as "␛", so
 * it cannot act on a terminal), cut after `maxChars` characters with "… (N more characters)"; a
 * number, boolean, null or undefined written as code would, and so is an array of at most 8 of them
 * ("[2, 3]", a shape); anything else only described by its type and size ("an array of 3 items",
 * "an object with 2 keys"), never walked, so a value nested a million levels deep or ten megabytes
 * long costs nothing and cannot overflow the stack.
 */
export function quoteForMessage(value: unknown, maxChars = DEFAULT_MAX_CHARS): string {
  if (typeof value === "string") {
    const limit = Math.max(0, Math.floor(maxChars));
    if (value.length <= limit) return quote(value);
    // Never cut a surrogate pair in two: the half left would be shown as a replacement character.
    const end = isHighSurrogate(value.charCodeAt(limit - 1)) ? limit - 1 : limit;
    const more = value.length - end;
    return `${quote(value.slice(0, end))}… (${more.toLocaleString("en-US")} more character${more === 1 ? "" : "s"})`;
  }
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined)
    return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) {
    // A short flat array of numbers (a shape, a pair of offsets) says more shown than described.
    if (value.length <= MAX_SHOWN_ITEMS && value.every(isShownItem))
      return `[${value.map((item) => String(item)).join(", ")}]`;
    return `an array of ${count(value.length, "item")}`;
  }
  if (typeof value === "object") {
    if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${count(value.byteLength, "byte")}`;
    const prototype = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null)
      return `an object with ${count(Object.keys(value).length, "key")}`;
    return "an object";
  }
  return `a ${typeof value}`;
}

/** How many items a flat array may have to be shown whole. */
const MAX_SHOWN_ITEMS = 8;

function isShownItem(item: unknown): boolean {
  return typeof item === "number" || typeof item === "boolean" || item === null;
}

/**
 * `text` in double quotes, as JSON writes it (quotes, backslashes, line feeds and tabs escaped), but
 * with every other control character shown as the output gate shows it ("␛", "␍", "␡", "�"): the
 * same text a terminal prints for it, in a library's message as in the CLI's.
 */
function quote(text: string): string {
  return jsonSafe(JSON.stringify(escapeControlCharacters(text).replace(/\r/g, controlPicture)));
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function count(n: number, unit: string): string {
  return `${n.toLocaleString("en-US")} ${unit}${n === 1 ? "" : "s"}`;
}
