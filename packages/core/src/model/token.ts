/**
 * One token (or, after merging, one unit such as a word) of a source or target
 * text. `span` is a half-open [start, end) range of UTF-16 code units in the
 * text the token came from; null when the token has no characters (BOS).
 */
export interface Token {
  /** Vocabulary id; null for units made by merging several tokens. */
  id: number | null;
  /** The token's text as it reads in the original text (no "▁"/"Ġ" markers). */
  text: string;
  span: [number, number] | null;
  /** True for special tokens (BOS, EOS, padding, chat-template markers). */
  special: boolean;
  /**
   * The tokenizer's own string for the id ("▁Once", "Ġthe", "<s>"), when the tokenizer gives it:
   * what views show for tokens without text (BOS) and what Inseq's saved files call a token.
   */
  piece?: string;
  /** For merged units: the indices of the original tokens merged into this one. */
  members?: number[];
}
