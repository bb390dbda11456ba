import { canonicalJson } from "@tokenscope/core";

/*
 * Stable ids for runs and items: core's canonical JSON text (object keys sorted) and a 64-bit hash of it.
 * Not cryptographic: these tell runs and items apart, they do not defend against forgery.
 */

/** A 64-bit hash of `text` as 16 hex digits (two 32-bit FNV-1a-style lanes over UTF-16 code units). */
export function hashText(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    h1 = Math.imul(h1 ^ unit, 0x01000193);
    h2 = Math.imul(h2 ^ unit, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35) ^ (h1 >>> 16);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
  h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35) ^ (h2 >>> 16);
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}

/** The fingerprint of a run's settings: the hash of their {@link canonicalJson}. */
export function runFingerprint(settings: unknown): string {
  return hashText(canonicalJson(settings, "settings"));
}

/**
 * A stable key for an item with this content at position `index`: `"<index>-<hash>"` (0-based
 * index). The same content at the same position gets the same key in every run; an edited or moved
 * item gets another. Shaped as `runItems`' `key`, so `key: contentKey` works as it is.
 */
export function contentKey(content: unknown, index: number): string {
  return `${index}-${hashText(typeof content === "string" ? content : canonicalJson(content))}`;
}

export { canonicalJson };
