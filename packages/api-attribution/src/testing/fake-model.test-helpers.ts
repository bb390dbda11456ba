/**
 * A deterministic fake language model for transport and attribution tests: its output and every
 * log-probability are pure functions of the text, so a perturbed prompt gives a different,
 * checkable output, and a test can compute what the server must have answered.
 */

/** One token with its log-probability and the most likely tokens at its position. */
export interface FakeToken {
  token: string;
  /** null for the first token of a text (nothing to condition on). */
  logprob: number | null;
  /** Most likely first; as many as asked for. */
  top: { token: string; logprob: number }[];
  /** Offset of the token in the text it was cut from. */
  offset: number;
}

/** The words the fake model generates (each with a leading space). */
export const fakeVocabulary: readonly string[] = [
  " the",
  " a",
  " cat",
  " dog",
  " sat",
  " ran",
  " on",
  " mat",
  " big",
  " red",
  " sun",
  " moon",
  " tree",
  " house",
  " and",
  " then",
  " slept",
  " jumped",
  " over",
  " fox",
  " bird",
  " sang",
  " sky",
  " blue",
  " happy",
  " day",
];

/** FNV-1a, 32 bits. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Cuts text into tokens: each run of whitespace goes with the word after it ("a b" → "a", " b"). */
export function fakeTokenize(text: string): { token: string; offset: number }[] {
  const tokens: { token: string; offset: number }[] = [];
  for (const match of text.matchAll(/\s*\S+|\s+/g))
    tokens.push({ token: match[0], offset: match.index ?? 0 });
  return tokens;
}

/** Log-probabilities of every vocabulary word after `context`, normalized over the vocabulary. */
export function fakeDistribution(context: string): { token: string; logprob: number }[] {
  const logits = fakeVocabulary.map((word) => (fnv1a(`${context}\u0001${word}`) % 10007) / 1000);
  const max = Math.max(...logits);
  const logSum = max + Math.log(logits.reduce((sum, logit) => sum + Math.exp(logit - max), 0));
  return fakeVocabulary.map((word, index) => ({ token: word, logprob: (logits[index] as number) - logSum }));
}

/** The log-probability of `token` after `context`: from the distribution for vocabulary words, low otherwise. */
export function fakeLogprob(context: string, token: string): number {
  const entry = fakeDistribution(context).find((candidate) => candidate.token === token);
  return entry ? entry.logprob : -15 - (fnv1a(`${context}\u0002${token}`) % 100) / 100;
}

function topOf(context: string, count: number): { token: string; logprob: number }[] {
  return fakeDistribution(context)
    .sort((a, b) => b.logprob - a.logprob)
    .slice(0, count);
}

/**
 * Greedy generation of `maxTokens` words after `prompt`, with `top` alternatives each. `noise`
 * (default "") is mixed into the context: a server that ignores the seed passes a request counter.
 */
export function fakeGenerate(prompt: string, maxTokens: number, top: number, noise = ""): FakeToken[] {
  const tokens: FakeToken[] = [];
  let context = prompt;
  for (let step = 0; step < maxTokens; step++) {
    const alternatives = topOf(`${noise}${context}`, Math.max(1, top));
    const chosen = alternatives[0] as { token: string; logprob: number };
    tokens.push({
      token: chosen.token,
      logprob: chosen.logprob,
      top: alternatives.slice(0, top),
      offset: context.length - prompt.length,
    });
    context += chosen.token;
  }
  return tokens;
}

/** The prompt's tokens scored teacher-forced (what `echo` returns): the first has logprob null. */
export function fakeScore(prompt: string, top: number): FakeToken[] {
  return fakeTokenize(prompt).map(({ token, offset }, index) => {
    const context = prompt.slice(0, offset);
    return {
      token,
      offset,
      logprob: index === 0 ? null : fakeLogprob(context, token),
      top: index === 0 ? [] : topOf(context, top),
    };
  });
}
