/**
 * The sentence templates of the analogies experiment, one per section of the Google analogy test
 * set, as ReAGent uses them (src/data/data_utils.py, `create_analogy_templates`, taken from Vafa et
 * al. 2021, "Rationales for Sequential Predictions"). "[A]" and "[B]" are the first and second word of
 * a pair; the placeholder at the end is the word the model must complete, the other one is its
 * antecedent ("relative"); the parenthetical clause is a distractor that carries nothing the analogy
 * needs.
 */
export const analogyTemplates: Readonly<Record<string, string>> = {
  "capital-common-countries":
    "When my flight landed in [B], I converted my currency and slowly fell asleep. (I had a terrifying dream about my grandmother, but that's a story for another time). I was staying in the capital, [A]",
  "capital-world":
    "When my flight landed in [B], I converted my currency and slowly fell asleep. (I was behind on a couple of assignments, but I tried not to think about them). I was staying in the capital, [A]",
  currency:
    "As soon as I arrived in [A], I checked into my hotel and took a long nap. (I had finally finished the book I was reading and it was amazing). I had to figure out the exchange rate to the local currency, which is apparently called the [B]",
  "city-in-state":
    "As soon as I arrived in [B], I checked into my hotel and watched a movie before falling asleep. (I had a great call with my husband, although I wish it were longer). I was staying in my favorite city, [A]",
  family:
    "I initially invited my [A], who gladly accepted my invitation. (My favorite song just came on, so I was able to relax). When I learned that women were allowed, I went ahead and also invited my [B]",
  "gram1-adjective-to-adverb":
    "How could he do this so [B]? (I wasn't sure why my phone always rang at the most inopportune times). When I tried to do it, I could never be [A]",
  "gram2-opposite":
    "I thought it was [A]. (Just then an ad came on the TV, but that's irrelevant). It was the opposite of that: it was [B]",
  "gram3-comparative":
    "I knew it was [A], but that's before I saw it in person. (Just then I thought about my ex-wife, but I had to stop thinking about her). When I did end up seeing it in person, it was even [B]",
  "gram4-superlative":
    "I thought it would be the [B] thing I'd ever encounter. (I tried to ignore my phone vibrating in my pocket). But when I did end up encountering it, it turned out it wasn't so [A]",
  "gram5-present-participle":
    "Every other day, it started [B] in the morning. (I tried to remember the name of the woman at the bar). But today, it did not [A]",
  "gram6-nationality-adjective":
    "I had never been friends with any [B] people before. (The funniest thing happened to me the other day, but that's a story for another time). In fact, I had never even been to [A]",
  "gram7-past-tense":
    "Although I [B] yesterday, I had a million things to do today. (I suddenly felt a pinched nerve, so I made a mental note to get that checked out). So today I wouldn't have time to do any more [A]",
  "gram8-plural":
    "I really wanted to buy the [A], more than I ever wanted to buy anything before. (I was also behind on my homework, but that's another story). So I went to the store and asked if they had any [B]",
  "gram9-plural-verbs":
    "I can usually [A] by myself. (I was so behind on work but I tried to distract myself). Although it's so much better when someone else also [B]",
};

/**
 * Words ReAGent capitalises after reading the pairs (it sets the currency section's 5th and 7th
 * second words, "euro" and "won" under GPT-2's single-token filter, to "Euro" and "Won"). Applied
 * here by word, so the fix does not depend on which pairs a tokenizer filter kept.
 */
export const analogyCapitalisation: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  currency: { euro: "Euro", won: "Won" },
};
