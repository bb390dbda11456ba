import { TokenscopeError } from "@tokenscope/core";

/** One record of annotated LAMBADA (Vafa et al. 2021), prepared for the plausibility benchmark. */
export interface LambadaItem {
  /** `lambada/${lambadaIndex}`. */
  id: string;
  /** Index of the passage in the original LAMBADA dataset. */
  lambadaIndex: number;
  /** The passage, unchanged. */
  text: string;
  /** Human rationale for the last word: [start, end) character spans into `text` (and `prompt`). */
  rationale: [number, number][];
  /** The passage's last word, which the rationale explains. */
  target: string;
  /** The passage before the last word, without the space before it (`prompt + targetText === text`). */
  prompt: string;
  /** The space and the last word, as the passage has them: the forced target. */
  targetText: string;
}

function invalid(line: number, problem: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", `annotated_lambada line ${line}: ${problem}.`, {
    hint: "Each line is a JSON object {lambadaIndex, text, rationale: [[start, end], ...]}.",
    details: { line },
  });
}

/**
 * Parses annotated_lambada.json (JSON Lines, one {lambadaIndex, text, rationale} per line) and
 * splits each passage into the prompt and its last word, as Vafa et al. 2021 do (the text without
 * its last space-separated word is the context). Checks that every rationale span lies inside the
 * prompt, so it can be compared with the attribution of the last word over the prompt.
 */
export function parseAnnotatedLambada(text: string): LambadaItem[] {
  const items: LambadaItem[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw invalid(index + 1, `not JSON (${(error as Error).message})`);
    }
    const { lambadaIndex, text: passage, rationale } = (record ?? {}) as Record<string, unknown>;
    if (!Number.isInteger(lambadaIndex)) throw invalid(index + 1, "lambadaIndex is not an integer");
    if (typeof passage !== "string") throw invalid(index + 1, "text is not a string");
    const match = /(\s+)(\S+)\s*$/.exec(passage);
    if (!match) throw invalid(index + 1, "the text has no context before its last word");
    const prompt = passage.slice(0, match.index);
    if (!Array.isArray(rationale) || rationale.length === 0) throw invalid(index + 1, "rationale is empty");
    const spans = rationale.map((span, s) => {
      const ok =
        Array.isArray(span) &&
        span.length === 2 &&
        Number.isInteger(span[0]) &&
        Number.isInteger(span[1]) &&
        span[0] >= 0 &&
        span[0] < span[1] &&
        span[1] <= prompt.length;
      if (!ok)
        throw invalid(index + 1, `rationale span ${s} (${JSON.stringify(span)}) is not inside the context`);
      return [span[0], span[1]] as [number, number];
    });
    items.push({
      id: `lambada/${lambadaIndex as number}`,
      lambadaIndex: lambadaIndex as number,
      text: passage,
      rationale: spans,
      target: match[2]!,
      prompt,
      targetText: passage.slice(match.index).trimEnd(),
    });
  });
  return items;
}
