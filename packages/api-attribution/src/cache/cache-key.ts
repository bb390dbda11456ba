import { canonicalJson } from "@tokenscope/core";
import type { CompletionRequest, EndpointMode } from "../endpoint/types.ts";

/** The part of an endpoint's configuration a cached answer depends on (never the key). */
export interface CacheKeyConfig {
  /** Without credentials. */
  baseUrl: string;
  model: string;
  mode: EndpointMode;
}

/** The sampling settings a cached answer depends on, beside the request itself. */
export interface CacheKeySettings {
  temperature: number;
  /** The seed sent, or null when none is sent. */
  seed: number | null;
  /** Whether log-probabilities were asked for. */
  logprobs: boolean;
  /** Extra parts that make otherwise identical requests distinct (e.g. the probe's second copy). */
  tag?: string;
}

/** Version of the key's material: bumped when what goes into a key changes. */
const keyVersion = 1;

/**
 * The cache key of a request: the SHA-256 (hex, 64 characters) of the canonical JSON of the
 * endpoint's address, model and mode, the request (prompt, new tokens, alternatives, echo) and
 * the sampling settings. The API key is not part of it. Uses Web Crypto, so it runs in browsers.
 */
export async function cacheKey(
  config: CacheKeyConfig,
  request: CompletionRequest,
  settings: CacheKeySettings,
): Promise<string> {
  const material = canonicalJson({
    version: keyVersion,
    config: { baseUrl: config.baseUrl, model: config.model, mode: config.mode },
    request: {
      prompt: request.prompt,
      maxTokens: request.maxTokens,
      topLogprobs: request.topLogprobs ?? null,
      echo: request.echo ?? false,
    },
    settings,
  });
  const digest = await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(material));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export { canonicalJson };
