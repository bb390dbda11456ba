import type { Token } from "@tokenscope/core";
import { displayWidth } from "./text-width.ts";

/**
 * Characters a terminal would act on instead of showing: C0 controls other
 * than line breaks and tabs (which the callers handle), DEL, C1 controls
 * (0x9b starts an escape sequence in some terminals) and the bidirectional
 * overrides and isolates, which would reorder the rest of the line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const unsafe = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every character a terminal would act on replaced by a visible
 * stand-in: C0 controls by their Unicode control picture (ESC as "␛"), DEL as
 * "␡", C1 controls and bidirectional controls as "�". A token's text comes from
 * a model's vocabulary and must never be able to move the cursor or recolour
 * the terminal.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(unsafe, (char) => {
    const code = char.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return "␡";
    return "�";
  });
}

/**
 * A token's text as a one-line label: line breaks as "↵", tabs as "⇥",
 * leading and trailing spaces as "␣" (tokens often start with a space that
 * matters), other control characters made visible, an empty text as "∅", and a
 * text with no visible width (a lone zero-width space, a combining mark) as its
 * code points ("U+200B").
 */
export function displayToken(text: string): string {
  if (text === "") return "∅";
  const escaped = escapeControlCharacters(text)
    .replace(/\r\n|\r|\n/g, "↵")
    .replace(/\t/g, "⇥")
    .replace(/^ +| +$/g, (spaces) => "␣".repeat(spaces.length));
  if (displayWidth(escaped) > 0) return escaped;
  return Array.from(
    escaped,
    (char) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`,
  ).join(" ");
}

/**
 * A token's label: its text (see {@link displayToken}), or, for a token without text such as BOS,
 * the tokenizer's piece ("<s>") when the result has it, so that column reads as what it is.
 */
export function tokenLabel(token: Pick<Token, "text" | "piece">): string {
  return displayToken(token.text === "" && token.piece ? token.piece : token.text);
}
