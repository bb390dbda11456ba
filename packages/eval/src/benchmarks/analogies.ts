import { TokenscopeError, throwIfAborted } from "@tokenscope/core";
import { analogyCapitalisation, analogyTemplates } from "./analogy-templates.ts";

/** One section of the Google analogy test set (": capital-common-countries" and its questions). */
export interface AnalogySection {
  name: string;
  /** Questions "a b c d": a is to b as c is to d. */
  questions: [string, string, string, string][];
}

/**
 * Parses questions-words.txt (Mikolov et al. 2013): a line ": name" opens a section, every other
 * non-empty line holds four words separated by spaces. Lines may end in "\n" or "\r\n".
 */
export function parseAnalogies(text: string): AnalogySection[] {
  const sections: AnalogySection[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    if (line.startsWith(":")) {
      const name = line.slice(1).trim();
      if (!name) throw invalidLine(index, line, "a section header without a name");
      sections.push({ name, questions: [] });
      return;
    }
    const words = line.trim().split(/\s+/);
    if (words.length !== 4) throw invalidLine(index, line, `${words.length} words instead of 4`);
    const section = sections.at(-1);
    if (!section) throw invalidLine(index, line, "a question before any section header");
    section.questions.push(words as [string, string, string, string]);
  });
  return sections;
}

function invalidLine(index: number, line: string, problem: string): TokenscopeError {
  return new TokenscopeError(
    "INVALID_INPUT",
    `Analogies line ${index + 1} has ${problem}: ${JSON.stringify(line)}.`,
    {
      hint: 'Each line is ": section-name" or four words "a b c d".',
      details: { line: index + 1 },
    },
  );
}

/**
 * The distinct word pairs of a section in first-seen order: each question "a b c d" gives the pairs
 * (a, b) and (c, d). ReAGent (after Vafa et al. 2021) builds its items from these pairs, not from
 * the questions: one item per pair.
 */
export function analogyPairs(section: AnalogySection): [string, string][] {
  const seen = new Map<string, [string, string]>();
  for (const [a, b, c, d] of section.questions) {
    for (const pair of [
      [a, b],
      [c, d],
    ] as [string, string][]) {
      const key = `${pair[0]} ${pair[1]}`;
      if (!seen.has(key)) seen.set(key, pair);
    }
  }
  return [...seen.values()];
}

/** One prepared item of the analogies benchmark (ReAGent's preparation). */
export interface AnalogyItem {
  /** `${section}/${pairIndex}`: stable across runs and filters. */
  id: string;
  section: string;
  /** Index of the pair among the section's distinct pairs (before any filter). */
  pairIndex: number;
  /** The pair's first and second word (after ReAGent's capitalisation fixes). */
  a: string;
  b: string;
  /** The word the model must complete: the template's last placeholder. */
  target: string;
  /** The other word of the pair, which the prompt contains (the antecedent). */
  relative: string;
  /** The template with the relative word filled in, up to (without) the space before the target. */
  prompt: string;
  /** What the prompt is completed with: a space and the target word. */
  targetText: string;
  /** [start, end) of the relative word in `prompt`. */
  relativeSpan: [number, number];
  /** [start, end) of the distractor in `prompt`: from the space before "(" to ")." inclusive. */
  distractorSpan: [number, number];
  /** `prompt` without the distractor (ReAGent checks the model is right both with and without it). */
  promptWithoutDistractor: string;
}

/** Options of {@link prepareAnalogies}. */
export interface PrepareAnalogiesOptions {
  /** Sections to keep, by name (default: every section with a template, in file order). */
  sections?: readonly string[];
  /** Keep at most this many items (in file order), before any model-side filter. */
  limit?: number;
}

function checkSections(sections: readonly AnalogySection[], wanted: readonly string[] | undefined): void {
  if (!wanted) return;
  const known = new Set(sections.map((section) => section.name));
  const unknown = wanted.filter((name) => !known.has(name) || !(name in analogyTemplates));
  if (unknown.length) {
    throw new TokenscopeError("INVALID_INPUT", `Unknown analogy section(s): ${unknown.join(", ")}.`, {
      hint: `Sections: ${sections
        .map((section) => section.name)
        .filter((name) => name in analogyTemplates)
        .join(", ")}.`,
      details: { unknown },
    });
  }
}

function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
    throw new TokenscopeError(
      "INVALID_PARAMETERS",
      `limit must be a positive integer, got ${String(limit)}.`,
      {
        details: { limit },
      },
    );
  }
}

/**
 * Builds one item per distinct pair of the chosen sections, as ReAGent's
 * prepare_evaluation_analogy.py does: the section's template with "[A]"/"[B]" replaced by the pair's
 * words; the word in the template's last placeholder is the target, the prompt is everything before
 * it (ReAGent feeds the template's tokens without the last one). Sections without a template are
 * skipped. The model-side filters come after: {@link keepSingleTokenPairs} (ReAGent keeps pairs whose
 * two words are one token each) and {@link keepCorrect} (it keeps items the model completes
 * correctly, with and without the distractor).
 */
export function prepareAnalogies(
  sections: readonly AnalogySection[],
  options: PrepareAnalogiesOptions = {},
): AnalogyItem[] {
  checkSections(sections, options.sections);
  checkLimit(options.limit);
  const wanted = options.sections ? new Set(options.sections) : null;
  const items: AnalogyItem[] = [];
  for (const section of sections) {
    const template = analogyTemplates[section.name];
    if (!template || (wanted && !wanted.has(section.name))) continue;
    const fixes = analogyCapitalisation[section.name] ?? {};
    analogyPairs(section).forEach(([first, second], pairIndex) => {
      const a = fixes[first] ?? first;
      const b = fixes[second] ?? second;
      items.push(analogyItem(section.name, pairIndex, template, a, b));
    });
  }
  return options.limit === undefined ? items : items.slice(0, options.limit);
}

function analogyItem(
  section: string,
  pairIndex: number,
  template: string,
  a: string,
  b: string,
): AnalogyItem {
  const targetTag = template.lastIndexOf("[A]") > template.lastIndexOf("[B]") ? "[A]" : "[B]";
  const [target, relative] = targetTag === "[A]" ? [a, b] : [b, a];
  const relativeTag = targetTag === "[A]" ? "[B]" : "[A]";
  const head = template.slice(0, template.length - targetTag.length);
  if (!template.endsWith(` ${targetTag}`)) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `The template of ${section} does not end with " ${targetTag}".`,
    );
  }
  const relativeStart = head.indexOf(relativeTag);
  const prompt = head.slice(0, -1).replace(relativeTag, relative);
  const distractorStart = prompt.indexOf(" (");
  const distractorEnd = prompt.indexOf(").", distractorStart) + 2;
  return {
    id: `${section}/${pairIndex}`,
    section,
    pairIndex,
    a,
    b,
    target,
    relative,
    prompt,
    targetText: ` ${target}`,
    relativeSpan: [relativeStart, relativeStart + relative.length],
    distractorSpan: [distractorStart, distractorEnd],
    promptWithoutDistractor: prompt.slice(0, distractorStart) + prompt.slice(distractorEnd),
  };
}

/**
 * Keeps the items whose two words are one token each, as ReAGent does (so that the target is one
 * attributed step): `tokenCount(word)` is the number of tokens the model's tokenizer gives the word
 * as it appears after a space, without special tokens. ReAGent counts `" " + word` for GPT-2, and
 * `word` with BOS (expecting 2) for OPT and Llama, whose tokenizers add the leading space.
 */
export async function keepSingleTokenPairs(
  items: readonly AnalogyItem[],
  tokenCount: (word: string) => number | Promise<number>,
): Promise<AnalogyItem[]> {
  const counts = new Map<string, number>();
  const countOf = async (word: string) => {
    if (!counts.has(word)) counts.set(word, await tokenCount(word));
    return counts.get(word)!;
  };
  const kept: AnalogyItem[] = [];
  for (const item of items)
    if ((await countOf(item.a)) === 1 && (await countOf(item.b)) === 1) kept.push(item);
  return kept;
}

/**
 * ReAGent's correctness check: the prompt followed by the model's greedy continuation, split on
 * spaces, must end with exactly the target word (case-sensitive; "London," or a first subword
 * "Lond" is wrong). ReAGent decodes the prompt plus as many new tokens as the full sentence has
 * after the prompt (one, after its single-token filter) and compares `text.split(" ")[-1]`.
 */
export function isCorrectCompletion(prompt: string, completion: string, target: string): boolean {
  return `${prompt}${completion}`.split(" ").at(-1) === target;
}

/**
 * Greedy completion of a prompt: the decoded text of the new tokens only. For ReAGent's check,
 * generate as many tokens as the item's `targetText` has (one after {@link keepSingleTokenPairs}).
 */
export type GreedyCompletion = (prompt: string, item: AnalogyItem) => Promise<string>;

/** Options of {@link keepCorrect}. */
export interface KeepCorrectOptions {
  /** Stop once this many items are kept (the benchmark's `--limit`): later items are not generated. */
  limit?: number;
  /** Also require the right completion without the distractor, as ReAGent (default true). */
  withoutDistractor?: boolean;
  /** Called after each checked item, e.g. for progress. */
  onChecked?: (item: AnalogyItem, correct: boolean) => void;
  signal?: AbortSignal;
}

/**
 * Keeps the items the model completes correctly under greedy decoding, in order, as ReAGent does
 * before attributing: {@link isCorrectCompletion} must hold for the prompt and, unless
 * `withoutDistractor` is false, for the prompt without its distractor.
 */
export async function keepCorrect(
  items: readonly AnalogyItem[],
  generate: GreedyCompletion,
  options: KeepCorrectOptions = {},
): Promise<AnalogyItem[]> {
  checkLimit(options.limit);
  const kept: AnalogyItem[] = [];
  for (const item of items) {
    if (options.limit !== undefined && kept.length >= options.limit) break;
    throwIfAborted(options.signal);
    let correct = isCorrectCompletion(item.prompt, await generate(item.prompt, item), item.target);
    if (correct && options.withoutDistractor !== false) {
      const completion = await generate(item.promptWithoutDistractor, item);
      correct = isCorrectCompletion(item.promptWithoutDistractor, completion, item.target);
    }
    options.onChecked?.(item, correct);
    if (correct) kept.push(item);
  }
  return kept;
}
