import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Token } from "@tokenscope/core";
import { isTokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { onceUponATimeIds, sharedDataDir, stories260kDir } from "../testing/assets.test-helpers.ts";
import { readLlama2cTokenizer, readLlama2cVocabulary } from "./llama2c.ts";

const tokenizerBytes = new Uint8Array(readFileSync(join(stories260kDir, "tok512.bin")));
const tokenizer = readLlama2cTokenizer(tokenizerBytes, { vocabSize: 512 });

const lines = ["wikitext.txt", "tellmewhy2.txt"].flatMap((file) =>
  readFileSync(join(sharedDataDir, "reagent", file), "utf8").split("\n"),
);
const unicode = [
  "café ☕ 日本",
  "naïve façade — “quotes” ‘and’ …",
  "emoji 🙂👍🏽 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  "tab\tnew\nline\r\n",
  "  two leading spaces",
];

/**
 * llama2.c's `encode`, ported line by line on raw bytes (quadratic, every piece matchable): the
 * independent reference the heap-based tokenizer must agree with.
 */
function llama2cEncodeLiteral(text: string): number[] {
  const decoderLatin1 = (bytes: Uint8Array | number[]) => Buffer.from(bytes).toString("latin1");
  const view = new DataView(tokenizerBytes.buffer, tokenizerBytes.byteOffset);
  const vocab: string[] = [];
  const scores: number[] = [];
  for (let offset = 4; offset < tokenizerBytes.byteLength; ) {
    scores.push(view.getFloat32(offset, true));
    const length = view.getInt32(offset + 4, true);
    vocab.push(decoderLatin1(tokenizerBytes.subarray(offset + 8, offset + 8 + length)));
    offset += 8 + length;
  }
  const lookup = new Map<string, number>();
  vocab.forEach((piece, id) => {
    if (!lookup.has(piece)) lookup.set(piece, id);
  });
  const bytes = Buffer.from(text, "utf8");
  const tokens: number[] = [1];
  if (bytes.length > 0) tokens.push(lookup.get(" ")!);
  let buffer: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i]! & 0xc0) !== 0x80) buffer = [];
    buffer.push(bytes[i]!);
    if (i + 1 < bytes.length && (bytes[i + 1]! & 0xc0) === 0x80 && buffer.length < 4) continue;
    const id = lookup.get(decoderLatin1(buffer));
    if (id !== undefined) tokens.push(id);
    else for (const byte of buffer) tokens.push(byte + 3);
    buffer = [];
  }
  for (;;) {
    let bestScore = -1e10;
    let bestId = -1;
    let bestIndex = -1;
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = lookup.get(vocab[tokens[i]!]! + vocab[tokens[i + 1]!]!);
      if (id !== undefined && scores[id]! > bestScore) {
        bestScore = scores[id]!;
        bestId = id;
        bestIndex = i;
      }
    }
    if (bestIndex === -1) break;
    tokens.splice(bestIndex, 2, bestId);
  }
  return tokens;
}

function expectSpansSliceText(text: string, tokens: Token[]): void {
  let cursor = 0;
  for (const token of tokens) {
    if (token.special) {
      expect(token.span).toBeNull();
      continue;
    }
    const [start, end] = token.span!;
    expect(start).toBe(cursor);
    expect(end).toBeGreaterThanOrEqual(start);
    expect(text.slice(start, end)).toBe(token.text);
    cursor = end;
  }
  expect(cursor).toBe(text.length);
}

describe("llama2.c tokenizer (tok512.bin)", () => {
  it("reads 512 pieces with byte tokens at 3 + byte", () => {
    const vocabulary = readLlama2cVocabulary(tokenizerBytes);
    expect(vocabulary.pieces).toHaveLength(512);
    expect(Array.from(vocabulary.byteTokenIds)).toEqual(Array.from({ length: 256 }, (_, byte) => 3 + byte));
    expect(vocabulary.pieces[403]).toBe(" Once");
  });

  it("encodes the README's prompt", () => {
    expect(tokenizer.encodeIds("Once upon a time", { addBos: true })).toEqual(onceUponATimeIds);
    const tokens = tokenizer.encode("Once upon a time", { addBos: true });
    expect(tokens.map((token) => token.text)).toEqual(["", "Once", " upon", " a", " time"]);
    expect(tokens.map((token) => token.span)).toEqual([null, [0, 4], [4, 9], [9, 11], [11, 16]]);
    expect(tokens.map((token) => token.special)).toEqual([true, false, false, false, false]);
  });

  it("agrees with a literal port of llama2.c's encode on every prompt line and unicode text", () => {
    for (const text of [...lines, ...unicode, "", " ", "a", "<0x41> <s> </s> <unk>"]) {
      expect(tokenizer.encodeIds(text, { addBos: true }), text).toEqual(llama2cEncodeLiteral(text));
    }
  });

  it("agrees with the literal port on 300 random strings", () => {
    const alphabet = [..."abcdefghijklmnopqrstuvwxyz ABCDET.,!?'\"-\n0123456789", "é", "☕", "日", "🙂"];
    let state = 12345;
    const random = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    for (let n = 0; n < 300; n++) {
      const length = Math.floor(random() * 40);
      const text = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
      expect(tokenizer.encodeIds(text, { addBos: true }), JSON.stringify(text)).toEqual(
        llama2cEncodeLiteral(text),
      );
    }
  });

  it("round-trips every prompt line and unicode text, with spans that slice the original text", () => {
    for (const text of [...lines, ...unicode]) {
      const tokens = tokenizer.encode(text, { addBos: true });
      expect(tokenizer.decode(tokens.map((token) => token.id!))).toBe(text);
      expectSpansSliceText(text, tokens);
      expect(tokens.map((token) => token.text).join("")).toBe(text);
    }
  });

  it("falls back to UTF-8 bytes for characters outside the vocabulary", () => {
    const text = "café ☕ 日本";
    const tokens = tokenizer.encode(text);
    const byteIds = (character: string) => Array.from(Buffer.from(character, "utf8"), (byte) => 3 + byte);
    const ids = tokens.map((token) => token.id);
    // "é" has a piece of its own in tok512; the other three do not.
    expect(ids).toContain(485);
    for (const character of ["☕", "日", "本"]) {
      const expected = byteIds(character);
      const start = text.indexOf(character);
      const at = tokens.findIndex((token) => token.span![0] === start && token.text === character);
      expect(ids.slice(at, at + expected.length)).toEqual(expected);
      // The first byte carries the character's span; the rest are empty at its end.
      expect(tokens[at]!.span).toEqual([start, start + 1]);
      expect(tokens[at + 1]!.span).toEqual([start + 1, start + 1]);
      expect(tokens[at + 1]!.text).toBe("");
    }
    expect(tokenizer.decode(tokens.map((token) => token.id!))).toBe(` ${text}`);
  });

  it("gives a lone dummy-prefix space the empty span at 0", () => {
    // "日" has no piece, so the dummy-prefix space cannot merge with it.
    const tokens = tokenizer.encode("日");
    expect(tokens[0]).toEqual({ id: tokenizer.encodeIds(" ")[0], text: "", span: [0, 0], special: false });
    expect(tokenizer.encode("")).toEqual([]);
    expect(tokenizer.encodeIds("", { addBos: true, addEos: true })).toEqual([1, 2]);
  });

  it("covers both UTF-16 units of a character outside the basic plane", () => {
    const tokens = tokenizer.encode("🙂");
    const emoji = tokens.find((token) => token.text === "🙂")!;
    expect(emoji.span).toEqual([0, 2]);
    expect(tokens.filter((token) => token.id! >= 3 && token.id! < 259)).toHaveLength(4);
  });

  it("decodes like llama2.c: strips the space after BOS only, drops specials unless asked", () => {
    expect(tokenizer.decode([403])).toBe(" Once");
    expect(tokenizer.decode([1, 403])).toBe("Once");
    expect(tokenizer.decode([1, 403, 2])).toBe("Once");
    expect(tokenizer.decode([1, 403, 2], { keepSpecialTokens: true })).toBe("\n<s>\nOnce\n</s>\n");
    expect(tokenizer.decode([3 + 0xe2, 3 + 0x98, 3 + 0x95])).toBe("☕");
    expect(tokenizer.decode([3 + 0xe2])).toBe("\ufffd");
    expect(() => tokenizer.decode([512])).toThrow(/Token id 512/);
  });

  it("fails with MODEL_LOAD_FAILED on a truncated file or a wrong vocabulary size", () => {
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isTokenscopeError(error) ? `${error.code}: ${error.message}` : String(error);
      }
      return "no error";
    };
    expect(
      codeOf(() => readLlama2cVocabulary(tokenizerBytes.subarray(0, 1000), { source: "tok.bin" })),
    ).toMatch(/^MODEL_LOAD_FAILED: tok\.bin: token \d+ (is cut off|at byte)/);
    expect(codeOf(() => readLlama2cVocabulary(tokenizerBytes, { vocabSize: 32000 }))).toMatch(
      /^MODEL_LOAD_FAILED: .*the model has 32000 tokens but the file holds 512/,
    );
    expect(codeOf(() => readLlama2cVocabulary(tokenizerBytes, { vocabSize: 500 }))).toMatch(/holds more/);
  });
});

describe("token pieces", () => {
  it("gives SentencePiece's pieces for llama2.c entries: ▁ for spaces, <s> without llama2.c's newlines", async () => {
    const { llama2cPiece } = await import("../language-model/text-tokenizer.ts");
    expect(llama2cPiece("\n<s>\n")).toBe("<s>");
    expect(llama2cPiece("\n</s>\n")).toBe("</s>");
    expect(llama2cPiece(" upon")).toBe("▁upon");
    expect(llama2cPiece("<0x0A>")).toBe("<0x0A>");
  });
});
