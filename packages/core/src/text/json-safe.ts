/**
 * Characters JSON.stringify leaves raw that a terminal or a JavaScript parser acts on: DEL, C1
 * controls, the line and paragraph separators (line breaks to JavaScript before ES2019) and the
 * bidirectional overrides and isolates. JSON.stringify already escapes C0.
 */
const unescaped = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `jsonText` (valid JSON, e.g. from JSON.stringify) with DEL, C1 controls, U+2028, U+2029 and the
 * bidirectional controls written as `\uXXXX` escapes: still valid JSON with the same values, and
 * safe to print to a terminal. Outside strings JSON holds none of these, so every one replaced is
 * inside a string, where the escape means the same character.
 */
export function jsonSafe(jsonText: string): string {
  return jsonText.replace(unescaped, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
