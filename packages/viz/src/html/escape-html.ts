export { escapeMarkup as escapeHtml } from "../common/escape-markup.ts";

/**
 * `value` as JSON that can sit inside a `<script type="application/json">` element: `<`, `>` and `&`
 * as \\u escapes (so `</script>` and `<!--` cannot end or change the element) and the line
 * separators U+2028 / U+2029 escaped too. Lone surrogates are already escaped by JSON.stringify.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
