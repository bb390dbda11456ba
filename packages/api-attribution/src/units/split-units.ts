import { TokenscopeError } from "@tokenscope/core";
import type { PromptUnit, UnitKind, UnitTokenizer } from "./types.ts";

/** Extends each range back over the whitespace before it, so that a unit owns its leading space. */
function withLeadingSpace(prompt: string, ranges: [number, number][]): PromptUnit[] {
  return ranges.map(([start, end], index) => {
    let from = start;
    const floor = index === 0 ? 0 : ranges[index - 1]![1];
    while (from > floor && /\s/.test(prompt[from - 1]!)) from -= 1;
    return { text: prompt.slice(from, end), span: [from, end], id: null };
  });
}

/**
 * Words as `Intl.Segmenter` finds them (any language). Punctuation before or after a word is a unit
 * of its own ("PM" "."), punctuation inside one stays in it ("9:47", "e-mail", "U.S"), and whitespace
 * is never a unit.
 */
export function wordUnits(prompt: string, locale?: string): PromptUnit[] {
  const segmenter = new Intl.Segmenter(locale, { granularity: "word" });
  const ranges: [number, number][] = [];
  // Runs of segments with no whitespace between them, split only at their leading and trailing punctuation.
  let run: { start: number; end: number; wordLike: boolean }[] = [];
  const flush = () => {
    const firstWord = run.findIndex((segment) => segment.wordLike);
    const lastWord = run.findLastIndex((segment) => segment.wordLike);
    if (firstWord < 0) {
      if (run.length > 0) ranges.push([run[0]!.start, run.at(-1)!.end]);
    } else {
      for (const segment of run.slice(0, firstWord)) ranges.push([segment.start, segment.end]);
      ranges.push([run[firstWord]!.start, run[lastWord]!.end]);
      for (const segment of run.slice(lastWord + 1)) ranges.push([segment.start, segment.end]);
    }
    run = [];
  };
  for (const segment of segmenter.segment(prompt)) {
    if (segment.segment.trim() === "") {
      flush();
      continue;
    }
    run.push({
      start: segment.index,
      end: segment.index + segment.segment.length,
      wordLike: segment.isWordLike === true,
    });
  }
  flush();
  return withLeadingSpace(prompt, ranges);
}

/** Sentences as `Intl.Segmenter` finds them, without the whitespace that ends them. */
export function sentenceUnits(prompt: string, locale?: string): PromptUnit[] {
  const segmenter = new Intl.Segmenter(locale, { granularity: "sentence" });
  const ranges: [number, number][] = [];
  for (const segment of segmenter.segment(prompt)) {
    const text = segment.segment;
    const start = segment.index + (text.length - text.trimStart().length);
    const end = segment.index + text.trimEnd().length;
    if (end > start) ranges.push([start, end]);
  }
  return withLeadingSpace(prompt, ranges);
}

/** The tokenizer's tokens of the prompt (special tokens such as BOS are not units: they are not text). */
export async function tokenUnits(prompt: string, tokenizer: UnitTokenizer): Promise<PromptUnit[]> {
  const { tokens } = await tokenizer.tokenize(prompt, { addSpecialTokens: false });
  const ranges: { span: [number, number]; id: number | null }[] = [];
  for (const token of tokens) {
    if (token.special || !token.span || token.span[1] <= token.span[0]) continue;
    ranges.push({ span: token.span, id: token.id });
  }
  const units = withLeadingSpace(
    prompt,
    ranges.map((range) => range.span),
  );
  return units.map((unit, index) => ({ ...unit, id: ranges[index]!.id }));
}

/** The units of `prompt`: tokens (needs a tokenizer), words or sentences. */
export async function splitUnits(
  prompt: string,
  kind: UnitKind,
  options: { tokenizer?: UnitTokenizer; locale?: string } = {},
): Promise<PromptUnit[]> {
  if (kind === "word") return wordUnits(prompt, options.locale);
  if (kind === "sentence") return sentenceUnits(prompt, options.locale);
  if (!options.tokenizer) {
    throw new TokenscopeError("INVALID_INPUT", "Token units need a tokenizer.", {
      hint: "Give one (any model reference loadModel reads, e.g. --tokenizer ../shared/models/stories260K), or use word or sentence units, which need none.",
      details: { unit: kind },
    });
  }
  return tokenUnits(prompt, options.tokenizer);
}
