/*
 * The one escaping function of the markup views (SVG figures and HTML pages): text from a result is
 * data, never markup.
 */
const xmlSpecial: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  // Kept as character references so that attribute-value normalisation cannot turn them into spaces.
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

// C0 controls other than tab, LF and CR; U+FFFE and U+FFFF; lone surrogates (the `u` flag pairs the rest).
// biome-ignore lint/suspicious/noControlCharactersInRegex: replacing them is the point.
const notXmlChar = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udfff]/gu;

function visibleForm(char: string): string {
  const code = char.charCodeAt(0);
  // A C0 control becomes its control picture ("␛" for ESC), like the terminal views show it.
  return code < 0x20 ? String.fromCharCode(0x2400 + code) : "\ufffd";
}

/**
 * `text` made safe as XML 1.0 or HTML character data, or as an attribute value in double or single
 * quotes: `& < > " '` become entities, tab/LF/CR character references, and characters XML 1.0 does
 * not allow are replaced (C0 controls by their control pictures, U+FFFE, U+FFFF and lone surrogates
 * by U+FFFD). So no string can open a tag, close an attribute, end a `<style>` or `<script>`
 * element, or make an SVG file malformed.
 */
export function escapeMarkup(text: string): string {
  return text.replace(notXmlChar, visibleForm).replace(/[&<>"'\t\n\r]/g, (char) => xmlSpecial[char]!);
}
