import { TokenscopeError } from "@tokenscope/core";

/**
 * The special-token keys of tokenizer_config.json that transformers.js (4.3) reads, in its order:
 * each names one token, given as a string or an `AddedToken` object.
 */
export const hfSpecialTokenKeys = [
  "bos_token",
  "eos_token",
  "unk_token",
  "sep_token",
  "pad_token",
  "cls_token",
  "mask_token",
] as const;

/** One of {@link hfSpecialTokenKeys}. */
export type HfSpecialTokenKey = (typeof hfSpecialTokenKeys)[number];

/** The special tokens a tokenizer_config.json names, by key (keys it leaves empty are absent). */
export type HfSpecialTokens = Partial<Record<HfSpecialTokenKey, string>>;

/**
 * The token a tokenizer_config.json entry names: a string, or an object with a string `content`
 * (`{"__type": "AddedToken", "content": "<s>", ...}` as transformers 4 writes it, or the bare
 * `{"content": "<s>", ...}` of special_tokens_map.json). Empty, null and other non-object values
 * name no token (transformers.js looks them up and finds nothing).
 * @throws TokenscopeError MODEL_LOAD_FAILED for an object without a `content` string (transformers.js
 *   throws too).
 */
export function specialTokenContent(value: unknown, key: string, source: string): string | undefined {
  if (typeof value === "string") return value || undefined;
  if (typeof value !== "object" || value === null) return undefined;
  const content = (value as { content?: unknown }).content;
  if (typeof content === "string") return content || undefined;
  throw new TokenscopeError(
    "MODEL_LOAD_FAILED",
    `${source}: tokenizer_config.json's "${key}" is an object without a "content" string.`,
    {
      hint: 'Write the token as a string ("bos_token": "<s>") or as {"content": "<s>"}.',
      details: { source, key },
    },
  );
}

/** Every special token a tokenizer_config.json names (see {@link specialTokenContent}). */
export function configSpecialTokens(
  config: Readonly<Record<string, unknown>>,
  source: string,
): HfSpecialTokens {
  const tokens: HfSpecialTokens = {};
  for (const key of hfSpecialTokenKeys) {
    // Own keys only: a config key named like an Object.prototype member must not leak in.
    const content = Object.hasOwn(config, key) ? specialTokenContent(config[key], key, source) : undefined;
    if (content !== undefined) tokens[key] = content;
  }
  return tokens;
}
