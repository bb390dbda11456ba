import { escapeControlCharacters, type Token } from "@tokenscope/core";
import { displayWidth } from "./text-width.ts";

// One definition of what a terminal acts on, shared with the CLI's output gate (core's terminalSafe).
export { escapeControlCharacters };

/**
 * `text` on one line, for a label or a summary value that comes from a result (a model id, a method
 * or step-score id, a parameter): control characters made visible, line breaks as "↵" and tabs as
 * "⇥", so it can neither act on the terminal nor break the layout around it.
 */
export function displayInline(text: string): string {
  return escapeControlCharacters(text)
    .replace(/\r\n|\r|\n/g, "↵")
    .replace(/\t/g, "⇥");
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
  const escaped = displayInline(text).replace(/^ +| +$/g, (spaces) => "␣".repeat(spaces.length));
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
