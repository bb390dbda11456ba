import type { SpecialTokenIds } from "./language-model.ts";

/** The token that stands for "unknown" in a baseline, and which special token of the model it is. */
export interface UnknownToken {
  id: number;
  token: "unk" | "pad" | "eos";
}

/**
 * The token every "unk" baseline writes (integrated gradients, occlusion, LIME, ...): the unknown
 * token, else the padding token, else the first EOS token. This is Inseq's order (it sets
 * `unk_token_id = pad_token_id` for a tokenizer without UNK, and its pad token falls back to EOS), so
 * that the default baselines run on models without UNK (Llama 3, Qwen) and use the token Inseq does.
 */
export function unknownToken(specialTokens: SpecialTokenIds): UnknownToken | undefined {
  if (specialTokens.unk !== undefined) return { id: specialTokens.unk, token: "unk" };
  if (specialTokens.pad !== undefined) return { id: specialTokens.pad, token: "pad" };
  const eos = specialTokens.eos?.[0];
  return eos === undefined ? undefined : { id: eos, token: "eos" };
}
