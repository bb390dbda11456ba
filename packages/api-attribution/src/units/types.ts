/** What one perturbation changes at a time: a token (of a given tokenizer), a word or a sentence. */
export type UnitKind = "token" | "word" | "sentence";

/**
 * One unit of a prompt: its text and its half-open [start, end) range of UTF-16 code units in the
 * prompt. A unit's range includes the whitespace before it (as a SentencePiece or BPE token carries
 * its leading space), so removing a unit never leaves a double space.
 */
export interface PromptUnit {
  text: string;
  span: [number, number];
  /** The tokenizer's id for token units; null for words and sentences. */
  id: number | null;
}

/** The part of a tokenizer that token units need: core's `LanguageModel` has it. */
export interface UnitTokenizer {
  tokenize(
    text: string,
    options?: { addSpecialTokens?: boolean },
  ): Promise<{
    tokens: { id: number | null; text: string; span: [number, number] | null; special: boolean }[];
  }>;
}
