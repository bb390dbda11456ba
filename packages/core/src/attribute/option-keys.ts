import { TokenscopeError } from "../errors/index.ts";
import { quoteForMessage } from "../text/quote-for-message.ts";
import type { AttributeOptions, GenerationSettings } from "./types.ts";

// Every key of the option types, checked against them by the compiler, so that a key added to a
// type and not here (or the reverse) fails to build.
const attributeOptionKeys = {
  method: true,
  parameters: true,
  attributedFunction: true,
  target: true,
  targetPrefix: true,
  contrastTargets: true,
  contrastSources: true,
  contrastAlignments: true,
  generation: true,
  chatTemplate: true,
  stepScores: true,
  attributeTarget: true,
  steps: true,
  aggregate: true,
  normalize: true,
  keepRaw: true,
  memoryBudgetBytes: true,
  onProgress: true,
  signal: true,
} as const satisfies Record<keyof AttributeOptions, true>;

const generationKeys = {
  maxNewTokens: true,
  temperature: true,
  topK: true,
  topP: true,
  seed: true,
  stopTokenIds: true,
  forcedBosTokenId: true,
  targetLanguage: true,
} as const satisfies Record<keyof GenerationSettings, true>;

/** A key as compared for suggestions: case, `_` and `-` ignored (`attributed_function`, `MaxNewTokens`). */
const normalized = (key: string) => key.toLowerCase().replace(/[_-]/g, "");

/** The known name a misspelt key most likely meant: the longest shared start, most of the key. */
function nearest(key: string, names: readonly string[]): string | undefined {
  const wanted = normalized(key);
  let best: { name: string; shared: number } | undefined;
  for (const name of names) {
    const candidate = normalized(name);
    let shared = 0;
    while (shared < wanted.length && wanted[shared] === candidate[shared]) shared++;
    if (shared >= Math.max(4, 0.6 * wanted.length) && shared > (best?.shared ?? 0)) best = { name, shared };
  }
  return best?.name;
}

function checkKeys(value: unknown, known: Readonly<Record<string, true>>, what: string, hint: string): void {
  if (typeof value !== "object" || value === null) return;
  const unknown = Object.keys(value).filter((key) => !Object.hasOwn(known, key));
  if (unknown.length === 0) return;
  const names = Object.keys(known);
  const shown = unknown.slice(0, 5);
  const near = shown.flatMap((key) => {
    const match = nearest(key, names);
    return match ? [`${quoteForMessage(key, 40)} → "${match}"`] : [];
  });
  throw new TokenscopeError(
    "INVALID_INPUT",
    `Unknown ${what}${unknown.length > 1 ? "s" : ""} ${shown.map((key) => quoteForMessage(key, 40)).join(", ")}${unknown.length > shown.length ? ", ..." : ""}: ${unknown.length > 1 ? "they" : "it"} would be ignored.`,
    {
      hint: `${near.length > 0 ? `Did you mean ${near.join(", ")}? ` : ""}${hint} ${names.join(", ")}.`,
      details: { unknown: shown.map((key) => key.slice(0, 40)) },
    },
  );
}

/**
 * Refuses keys `attribute()` does not read, in its options and their `generation`, rather than
 * ignoring them: a misspelt `attributedFn` or `max_new_tokens` would otherwise silently run the
 * defaults. (Hugging Face names in `generation` go through `parseGenerationArgs`.)
 * @throws TokenscopeError INVALID_INPUT naming the unknown keys and the known ones.
 */
export function checkAttributeOptionKeys(options: AttributeOptions): void {
  checkKeys(options, attributeOptionKeys, "attribute() option", "attribute() reads");
  checkKeys(
    options.generation,
    generationKeys,
    "generation setting",
    "Hugging Face names (max_new_tokens, ...) go through parseGenerationArgs; generation reads",
  );
}
