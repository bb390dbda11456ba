import type { LanguageModel } from "@tokenscope/core";

/** Universal part-of-speech tag of every vocabulary id (null for special ids). */
export type VocabularyTags = (string | null)[];

const cache = new WeakMap<LanguageModel, Promise<VocabularyTags>>();

/** A part-of-speech tagger of single words; wink-nlp is only imported when one is first needed. */
async function loadTagger(): Promise<(word: string) => string> {
  const [{ default: winkNLP }, { default: englishModel }] = await Promise.all([
    import("wink-nlp"),
    import("wink-eng-lite-web-model"),
  ]);
  const nlp = winkNLP(englishModel, ["sbd", "pos"]);
  return (word) => nlp.readDoc(word).tokens().out(nlp.its.pos)[0] ?? "X";
}

async function tagVocabulary(model: LanguageModel): Promise<VocabularyTags> {
  const tag = await loadTagger();
  const { specialTokens, vocabSize } = model.info;
  const special = new Set([
    specialTokens.bos,
    specialTokens.pad,
    specialTokens.unk,
    ...(specialTokens.eos ?? []),
  ]);
  const ids = Array.from({ length: vocabSize }, (_, id) => id);
  const { tokens } = await model.decodeTokens(ids);
  // Each id is tagged alone, as ReAGent's sampler (Inseq's POSTagTokenSampler) tags each decoded token.
  return ids.map((id) => {
    const token = tokens[id];
    if (special.has(id) || !token || token.special) return null;
    const word = token.text.trim();
    return word === "" ? "SPACE" : tag(word);
  });
}

/**
 * The universal part-of-speech tag (wink-nlp's English model) of every id of
 * `model`'s vocabulary, each decoded token tagged on its own; computed once
 * per model and cached.
 */
export function vocabularyTags(model: LanguageModel): Promise<VocabularyTags> {
  let tags = cache.get(model);
  if (!tags) {
    tags = tagVocabulary(model);
    cache.set(model, tags);
    // A failed tagging is not cached, so a later run can try again.
    tags.catch(() => cache.delete(model));
  }
  return tags;
}
