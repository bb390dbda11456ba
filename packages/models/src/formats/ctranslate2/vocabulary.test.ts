import { describe, expect, it } from "vitest";
import { ctranslate2TokensToIds, parseCTranslate2Vocabulary } from "./vocabulary.ts";

describe("parseCTranslate2Vocabulary", () => {
  it("reads one token per line and appends <unk>", () => {
    const vocabulary = parseCTranslate2Vocabulary("<blank>\n<s>\n</s>\na\nb\n");
    expect(vocabulary.tokens).toEqual(["<blank>", "<s>", "</s>", "a", "b", "<unk>"]);
    expect(vocabulary.unknownId).toBe(5);
    expect(ctranslate2TokensToIds(vocabulary, ["a", "z", "</s>"])).toEqual([3, 5, 2]);
  });

  it("keeps <unk> where the file has it, and a last line without its newline", () => {
    const vocabulary = parseCTranslate2Vocabulary("<unk>\na\nb");
    expect(vocabulary.tokens).toEqual(["<unk>", "a", "b"]);
    expect(vocabulary.unknownId).toBe(0);
  });

  it("drops carriage returns only when every line has one, as CTranslate2", () => {
    expect(parseCTranslate2Vocabulary("a\r\nb\r\n").tokens).toEqual(["a", "b", "<unk>"]);
    expect(parseCTranslate2Vocabulary("a\r\nb\n").tokens).toEqual(["a\r", "b", "<unk>"]);
  });

  it("keeps empty lines as tokens and gives a repeated token its first id", () => {
    const vocabulary = parseCTranslate2Vocabulary("a\n\na\nb\n");
    expect(vocabulary.tokens).toEqual(["a", "", "a", "b", "<unk>"]);
    expect(vocabulary.ids.get("a")).toBe(0);
    expect(vocabulary.ids.get("")).toBe(1);
  });

  it("reads the JSON array of newer conversions", () => {
    expect(parseCTranslate2Vocabulary('["<s>", "</s>", "x"]').tokens).toEqual(["<s>", "</s>", "x", "<unk>"]);
  });

  it("refuses an empty file and JSON that is not an array of strings", () => {
    const cases: Array<[string, "lines" | "json" | undefined]> = [
      ["", undefined],
      ['{"a": 1}', "json"],
      ["[1, 2]", undefined],
      ["[oops", undefined],
    ];
    for (const [text, format] of cases) {
      expect(() =>
        parseCTranslate2Vocabulary(text, { source: "v.txt", ...(format ? { format } : {}) }),
      ).toThrow(
        expect.objectContaining({ code: "MODEL_LOAD_FAILED", message: expect.stringMatching(/^v\.txt: /) }),
      );
    }
  });
});
