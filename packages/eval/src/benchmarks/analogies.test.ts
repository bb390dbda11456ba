import { describe, expect, it, vi } from "vitest";
import {
  type AnalogyItem,
  analogyPairs,
  isCorrectCompletion,
  keepCorrect,
  keepSingleTokenPairs,
  parseAnalogies,
  prepareAnalogies,
} from "./analogies.ts";
import { analogyTemplates } from "./analogy-templates.ts";
import { hasData, readData } from "./test-data.test-helpers.ts";

const sectionPairs: [string, number, number][] = [
  ["capital-common-countries", 506, 23],
  ["capital-world", 4524, 116],
  ["currency", 866, 30],
  ["city-in-state", 2467, 68],
  ["family", 506, 23],
  ["gram1-adjective-to-adverb", 992, 32],
  ["gram2-opposite", 812, 29],
  ["gram3-comparative", 1332, 37],
  ["gram4-superlative", 1122, 34],
  ["gram5-present-participle", 1056, 33],
  ["gram6-nationality-adjective", 1599, 41],
  ["gram7-past-tense", 1560, 40],
  ["gram8-plural", 1332, 37],
  ["gram9-plural-verbs", 870, 30],
];

describe.skipIf(!hasData)("the Google analogy test set", () => {
  const sections = hasData ? parseAnalogies(readData("analogies/questions-words.txt")) : [];

  it("has 14 sections and 19,544 questions", () => {
    expect(sections.map((section) => section.name)).toEqual(sectionPairs.map(([name]) => name));
    expect(sections.reduce((sum, section) => sum + section.questions.length, 0)).toBe(19_544);
    expect(sections[0]!.questions[0]).toEqual(["Athens", "Greece", "Baghdad", "Iraq"]);
    expect(Object.keys(analogyTemplates)).toEqual(sectionPairs.map(([name]) => name));
  });

  it("gives each section's distinct pairs in first-seen order", () => {
    for (const [index, [, questions, pairs]] of sectionPairs.entries()) {
      expect(sections[index]!.questions).toHaveLength(questions);
      expect(analogyPairs(sections[index]!)).toHaveLength(pairs);
    }
    // 23 pairs, each question one pair followed by another: 23·22 = 506 questions.
    expect(analogyPairs(sections[0]!).slice(0, 3)).toEqual([
      ["Athens", "Greece"],
      ["Baghdad", "Iraq"],
      ["Bangkok", "Thailand"],
    ]);
  });

  it("prepares one item per pair, 573 in all", () => {
    const items = prepareAnalogies(sections);
    expect(items).toHaveLength(573);
    expect(new Set(items.map((item) => item.id)).size).toBe(573);
  });

  // Prompts and targets as in ReAGent's own prepared GPT-2 items
  // (rationalization_results/analogies/gpt2_attention/{0,20,40,60,80,100,120,156}.json: the input
  // tokens' texts joined, and the target token's text).
  const reagentItems: [string, string, string][] = [
    [
      "capital-common-countries/0",
      "When my flight landed in Greece, I converted my currency and slowly fell asleep. (I had a terrifying dream about my grandmother, but that's a story for another time). I was staying in the capital,",
      " Athens",
    ],
    [
      "currency",
      "As soon as I arrived in Korea, I checked into my hotel and took a long nap. (I had finally finished the book I was reading and it was amazing). I had to figure out the exchange rate to the local currency, which is apparently called the",
      " Won",
    ],
    [
      "family",
      "I initially invited my sons, who gladly accepted my invitation. (My favorite song just came on, so I was able to relax). When I learned that women were allowed, I went ahead and also invited my",
      " daughters",
    ],
    [
      "gram4-superlative",
      "I thought it would be the darkest thing I'd ever encounter. (I tried to ignore my phone vibrating in my pocket). But when I did end up encountering it, it turned out it wasn't so",
      " dark",
    ],
    [
      "gram6-nationality-adjective",
      "I had never been friends with any Chilean people before. (The funniest thing happened to me the other day, but that's a story for another time). In fact, I had never even been to",
      " Chile",
    ],
    [
      "gram9-plural-verbs",
      "I can usually sing by myself. (I was so behind on work but I tried to distract myself). Although it's so much better when someone else also",
      " sings",
    ],
    [
      "capital-world",
      "When my flight landed in Turkey, I converted my currency and slowly fell asleep. (I was behind on a couple of assignments, but I tried not to think about them). I was staying in the capital,",
      " Ankara",
    ],
  ];

  it("reproduces ReAGent's prompts and targets", () => {
    const items = prepareAnalogies(sections);
    for (const [where, prompt, targetText] of reagentItems) {
      const item = items.find((candidate) => candidate.prompt === prompt);
      expect(item, prompt).toBeDefined();
      expect(item!.id.startsWith(where)).toBe(true);
      expect(item!.targetText).toBe(targetText);
      expect(item!.target).toBe(targetText.slice(1));
    }
    const athens = items[0]!;
    expect(athens).toMatchObject({
      id: "capital-common-countries/0",
      a: "Athens",
      b: "Greece",
      relative: "Greece",
    });
    expect(athens.prompt.slice(...athens.relativeSpan)).toBe("Greece");
    expect(athens.prompt.slice(...athens.distractorSpan)).toBe(
      " (I had a terrifying dream about my grandmother, but that's a story for another time).",
    );
    expect(athens.promptWithoutDistractor).toBe(
      "When my flight landed in Greece, I converted my currency and slowly fell asleep. I was staying in the capital,",
    );
  });

  it("applies ReAGent's capitalisation of the currency section by word", () => {
    const currency = prepareAnalogies(sections, { sections: ["currency"] });
    expect(currency.find((item) => item.a === "Europe")!.b).toBe("Euro");
    expect(currency.find((item) => item.a === "Korea")!.target).toBe("Won");
    expect(currency.find((item) => item.a === "Japan")!.target).toBe("yen");
  });

  it("removes a distractor from every template, and every relative word sits in its prompt", () => {
    for (const item of prepareAnalogies(sections)) {
      const distractor = item.prompt.slice(...item.distractorSpan);
      expect(distractor.startsWith(" (") && distractor.endsWith(").")).toBe(true);
      expect(item.promptWithoutDistractor).not.toContain("(");
      expect(item.prompt.slice(...item.relativeSpan)).toBe(item.relative);
      expect(item.prompt.endsWith(" ")).toBe(false);
    }
  });

  it("filters sections and limits, and rejects unknown sections", () => {
    const items = prepareAnalogies(sections, { sections: ["family", "gram2-opposite"], limit: 30 });
    expect(items).toHaveLength(30);
    expect(items.slice(0, 23).every((item) => item.section === "family")).toBe(true);
    expect(items[23]!.id).toBe("gram2-opposite/0");
    expect(items[23]!.prompt).toBe(
      "I thought it was acceptable. (Just then an ad came on the TV, but that's irrelevant). It was the opposite of that: it was",
    );
    expect(() => prepareAnalogies(sections, { sections: ["nope"] })).toThrow(
      /Unknown analogy section\(s\): nope/,
    );
    expect(() => prepareAnalogies(sections, { limit: 0 })).toThrow(/positive integer/);
  });
});

describe("parseAnalogies", () => {
  it("reads CRLF files and rejects malformed lines", () => {
    expect(parseAnalogies(": s\r\na b c d\r\n")).toEqual([{ name: "s", questions: [["a", "b", "c", "d"]] }]);
    expect(() => parseAnalogies(": s\na b c")).toThrow(/line 2 has 3 words instead of 4/);
    expect(() => parseAnalogies("a b c d")).toThrow(/before any section header/);
  });
});

function item(id: string, target: string, a = "x", b = target): AnalogyItem {
  return {
    id,
    section: "s",
    pairIndex: 0,
    a,
    b,
    target,
    relative: a,
    prompt: `p ${id} (d). q`,
    targetText: ` ${target}`,
    relativeSpan: [0, 1],
    distractorSpan: [3 + id.length, 8 + id.length],
    promptWithoutDistractor: `p ${id} q`,
  };
}

describe("ReAGent's correctness check", () => {
  it("compares the last space-separated word of prompt + completion with the target, exactly", () => {
    expect(isCorrectCompletion("in the capital,", " London", "London")).toBe(true);
    expect(isCorrectCompletion("in the capital,", " London,", "London")).toBe(false);
    expect(isCorrectCompletion("in the capital,", " Lond", "London")).toBe(false);
    expect(isCorrectCompletion("in the capital,", " london", "London")).toBe(false);
    expect(isCorrectCompletion("in the capital,", "London", "London")).toBe(false);
  });

  it("keeps items right with and without the distractor, and stops at the limit", async () => {
    const items = [item("1", "A"), item("2", "B"), item("3", "C"), item("4", "D")];
    // Item 2 is wrong without its distractor, item 3 wrong with it.
    const generate = vi.fn(async (prompt: string, current: AnalogyItem) => {
      if (current.id === "2" && !prompt.includes("(")) return " nope";
      if (current.id === "3") return " nope";
      return ` ${current.target}`;
    });
    expect((await keepCorrect(items, generate)).map((kept) => kept.id)).toEqual(["1", "4"]);
    expect(generate).toHaveBeenCalledTimes(2 + 2 + 1 + 2);
    expect((await keepCorrect(items, generate, { withoutDistractor: false })).map((kept) => kept.id)).toEqual(
      ["1", "2", "4"],
    );
    generate.mockClear();
    const checked: string[] = [];
    const limited = await keepCorrect(items, generate, { limit: 1, onChecked: (i) => checked.push(i.id) });
    expect(limited.map((kept) => kept.id)).toEqual(["1"]);
    expect(checked).toEqual(["1"]);
    expect(generate).toHaveBeenCalledTimes(2);
  });

  it("keeps pairs of single-token words, counting each word once", async () => {
    const count = vi.fn((word: string) => (word.length <= 3 ? 1 : 2));
    const kept = await keepSingleTokenPairs([item("1", "yen", "abc"), item("2", "rupee", "abc")], count);
    expect(kept.map((k) => k.id)).toEqual(["1"]);
    expect(count.mock.calls.map(([word]) => word).sort()).toEqual(["abc", "rupee", "yen"]);
  });
});
