import { isTokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { marianTokenizer } from "./marian-tokenizer.ts";
import { buildMarianTokenizerFiles } from "./random-marian-tokenizer.ts";

const files = buildMarianTokenizerFiles({ vocabSize: 400 });
const tokenizer = marianTokenizer(files, { source: "random-marian" });
const texts = [
  "The river runs past the old mill and under the stone bridge.",
  "People in the town say that the weather changes quickly here!",
  "Prices are written on small boards (in pounds), at 8 o'clock.",
  "x = {a: 1, b: [2, 3]}; y ~ z",
];

function loadError(overrides: Partial<Parameters<typeof marianTokenizer>[0]>): unknown {
  try {
    marianTokenizer({ ...files, ...overrides });
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("marianTokenizer", () => {
  it("round-trips English text on both sides and keeps every id below the vocabulary size", async () => {
    expect(tokenizer.vocabSize).toBe(400);
    expect(tokenizer.specialTokens).toEqual({ eos: [0], pad: 399, unk: 1 });
    expect(tokenizer.description).toBe("Marian SentencePiece (unigram), 400 tokens");
    for (const text of texts) {
      for (const continuation of [false, true]) {
        const tokens = await tokenizer.encode(text, { addSpecialTokens: true, continuation });
        const ids = tokens.map((t) => t.id!);
        expect(ids.every((id) => id >= 0 && id < 400)).toBe(true);
        expect(await tokenizer.decode(ids), text).toBe(text);
        // Spans tile the text: the tokens' texts concatenate to it.
        expect(tokens.map((t) => t.text).join("")).toBe(text);
        expect(ids.at(-1) === 0).toBe(!continuation);
      }
    }
  });

  it("segments source and target with their own models", async () => {
    const differs = [];
    for (const word of Object.keys(files.vocab).filter(
      (piece) => piece.startsWith("\u2581") && piece.length > 3,
    )) {
      const text = word.slice(1);
      const source = (await tokenizer.encode(text, { addSpecialTokens: false })).map((t) => t.piece);
      const target = (await tokenizer.encode(text, { addSpecialTokens: false, continuation: true })).map(
        (t) => t.piece,
      );
      if (source.join(" ") !== target.join(" ")) differs.push(text);
    }
    expect(differs.length).toBeGreaterThanOrEqual(2);
  });

  it("gives spans into the original text, language codes and special tokens their own tokens", async () => {
    const text = ">>fra<<  The  river </s> ünder";
    const tokens = await tokenizer.encode(text, { addSpecialTokens: true });
    expect(tokens.map((t) => [t.piece, t.text, t.span, t.special])).toEqual([
      ["<unk>", ">>fra<<", [0, 7], false],
      ["\u2581The", "  The", [7, 12], false],
      ["\u2581river", "  river ", [12, 20], false],
      ["</s>", "</s>", [20, 24], true],
      ["\u2581", " ", [24, 25], false],
      ["<unk>", "ü", [25, 26], false],
      ["n", "n", [26, 27], false],
      ["d", "d", [27, 28], false],
      ["e", "e", [28, 29], false],
      ["r", "r", [29, 30], false],
      ["</s>", "", null, true],
    ]);
    expect(tokens[0]!.id).toBe(1);
    expect(await tokenizer.decode(tokens.map((t) => t.id!))).toBe("The river nder");
  });

  it("decodes tokens with spans into the decoded text", async () => {
    const ids = (await tokenizer.encode("the old mill", { addSpecialTokens: true })).map((t) => t.id!);
    const decoded = await tokenizer.decodeTokens(ids);
    expect(decoded.text).toBe("the old mill");
    expect(decoded.tokens.map((t) => [t.text, t.span])).toEqual([
      ["the", [0, 3]],
      [" old", [3, 7]],
      [" mill", [7, 12]],
      ["", null],
    ]);
  });

  it("refuses separate vocabularies, bad ids and duplicate ids with MODEL_LOAD_FAILED", () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ["separate", loadError({ tokenizerConfig: { separate_vocabs: true } }), /separate_vocabs/],
      ["negative", loadError({ vocab: { ...files.vocab, x: -1 } }), /non-negative integer/],
      ["fraction", loadError({ vocab: { ...files.vocab, x: 1.5 } }), /non-negative integer/],
      ["array", loadError({ vocab: [] }), /not a JSON object/],
      ["duplicate", loadError({ vocab: { ...files.vocab, x: 5 } }), /id 5 to both/],
      ["spm", loadError({ sourceSpm: Uint8Array.from([0x0a, 0x05]) }), /source\.spm/],
    ];
    for (const [name, error, message] of cases) {
      expect(isTokenscopeError(error, "MODEL_LOAD_FAILED"), name).toBe(true);
      expect((error as Error).message, name).toMatch(message);
    }
  });

  it("builds deterministic files laid out as opus-mt's", () => {
    const again = buildMarianTokenizerFiles({ vocabSize: 400 });
    expect(again.sourceSpm).toEqual(files.sourceSpm);
    expect(files.vocab["</s>"]).toBe(0);
    expect(files.vocab["<unk>"]).toBe(1);
    expect(files.vocab["<pad>"]).toBe(399);
    expect(new Set(Object.values(files.vocab)).size).toBe(400);
    expect(buildMarianTokenizerFiles({ vocabSize: 400, seed: 7 }).targetSpm).not.toEqual(files.targetSpm);
  });
});
