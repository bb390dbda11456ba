import type { PromptUnit } from "../units/types.ts";

/** How a chunk of units is changed. */
export interface Perturbation {
  /** "removal", "fixed" or "nearest". */
  readonly id: string;
  /** One line for run info and the experiment log ("fixed ("[MASK]")", "nearest (n=-1)"). */
  readonly description: string;
  /** The parameters recorded in the result's run info. */
  readonly parameters: Record<string, unknown>;
  /** The text that takes the place of `units` (consecutive units of the prompt), without their leading space. */
  replace(units: readonly PromptUnit[]): Promise<string>;
}

/** The neighbour lookup `nearest` needs: a tokenizer with ids and a token embedding matrix. */
export interface EmbeddingSpace {
  /** Token ids of a text (no special tokens). */
  encode(text: string): Promise<number[]>;
  /** The text of one token id, as it reads inside a text (no "▁"/"Ġ" markers, no leading space). */
  decode(id: number): Promise<string>;
  /** [vocabulary x dims] row-major embeddings. */
  embeddings(): Promise<{ data: Float32Array | Float64Array; rows: number; dims: number }>;
}
