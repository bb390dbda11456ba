import { TokenscopeError } from "../errors/index.ts";
import type { AttributionResult, SequenceAttribution } from "../result/types.ts";

/** Options of {@link toMarkdown}. */
export interface ToMarkdownOptions {
  /** Only this sequence (index), without its heading; default: every sequence under a heading. */
  sequence?: number;
  /** Digits after the decimal point; default 3. */
  digits?: number;
}

/**
 * A token's text made safe and visible in a Markdown table cell: Markdown
 * punctuation and `|` escaped, line breaks as "↵", tabs as "⇥", leading and
 * trailing spaces as "␣" (tokens often start with a space that matters), and
 * an empty text as "∅".
 */
export function escapeMarkdownToken(text: string): string {
  if (text === "") return "∅";
  const escaped = text
    .replace(/[\\`*_[\]<>|~]/g, (char) => `\\${char}`)
    .replace(/\r\n|\r|\n/g, "↵")
    .replace(/\t/g, "⇥");
  return escaped.replace(/^ +| +$/g, (spaces) => "␣".repeat(spaces.length));
}

function formatScore(score: number | null | undefined, digits: number): string {
  if (score === null || score === undefined) return "";
  const text = score.toFixed(digits);
  // "-0.000" reads as a negative score that is not there.
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

function sequenceTable(sequence: SequenceAttribution, digits: number): string {
  const prefix = sequence.targetAttributions;
  const stepIds = Object.keys(sequence.stepScores);
  const header = [
    "target",
    ...sequence.source.map((token) => escapeMarkdownToken(token.text)),
    ...(prefix ? sequence.target.map((token) => escapeMarkdownToken(token.text)) : []),
    ...stepIds.map((id) => `*${escapeMarkdownToken(id)}*`),
  ];
  const align = header.map((_, index) => (index === 0 ? "---" : "---:"));
  const rows = sequence.target.map((token, t) => [
    escapeMarkdownToken(token.text),
    ...sequence.source.map((_, s) => formatScore(sequence.sourceAttributions[t]?.[s], digits)),
    ...(prefix ? sequence.target.map((_, u) => (u < t ? formatScore(prefix[t]?.[u], digits) : "")) : []),
    ...stepIds.map((id) => formatScore(sequence.stepScores[id]?.[t], digits)),
  ]);
  return [header, align, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/**
 * Markdown tables of a result: per sequence, rows are targets, columns the
 * source tokens, then the target-prefix tokens, then the step scores (in
 * italics). Empty cells are blank; token texts are escaped
 * ({@link escapeMarkdownToken}).
 */
export function toMarkdown(result: AttributionResult, options: ToMarkdownOptions = {}): string {
  const digits = options.digits ?? 3;
  if (!Number.isInteger(digits) || digits < 0 || digits > 100) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `toMarkdown: digits must be an integer from 0 to 100, not ${digits}.`,
      {
        hint: "Pass e.g. { digits: 3 }.",
        details: { digits },
      },
    );
  }
  if (options.sequence !== undefined) {
    const sequence = result.sequences[options.sequence];
    if (!sequence) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `toMarkdown: sequence ${options.sequence} does not exist (the result has ${result.sequences.length}).`,
        {
          hint: `Pass a sequence index from 0 to ${result.sequences.length - 1}.`,
          details: { sequence: options.sequence },
        },
      );
    }
    return `${sequenceTable(sequence, digits)}\n`;
  }
  return result.sequences
    .map((sequence, index) => `**Sequence ${index}**\n\n${sequenceTable(sequence, digits)}\n`)
    .join("\n");
}
