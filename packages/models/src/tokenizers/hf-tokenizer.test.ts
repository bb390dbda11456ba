import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Token } from "@tokenscope/core";
import { isTokenscopeError } from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHfTokenizerFiles, type HfTokenizerStyle } from "../hf/random-tokenizer.ts";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import { loadHfTokenizer } from "./hf-load-tokenizer.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-hf-tokenizer-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes a generated tokenizer's files; returns the folder and the vocabulary (id → token string). */
function writeTokenizer(
  name: string,
  style: HfTokenizerStyle,
  edit: (config: Record<string, unknown>) => void = () => undefined,
): { folder: string; pieceOf: (id: number) => string } {
  const folder = join(root, name);
  mkdirSync(folder, { recursive: true });
  const files = buildHfTokenizerFiles({ style, vocabSize: 512 });
  edit(files.tokenizerConfig);
  writeFileSync(join(folder, "tokenizer.json"), JSON.stringify(files.tokenizerJson));
  writeFileSync(join(folder, "tokenizer_config.json"), JSON.stringify(files.tokenizerConfig));
  const vocab = (files.tokenizerJson["model"] as { vocab: Record<string, number> }).vocab;
  const byId = new Map(Object.entries(vocab).map(([piece, id]) => [id, piece]));
  return { folder, pieceOf: (id) => byId.get(id)! };
}

// Leading spaces, a tab, newlines, accents (composed), CJK, emoji (with a skin tone and a ZWJ family).
const tricky =
  "  Leading spaces\tand a tab.\nNew line, café naïve — 日本語!\n\n😀 family: 👩‍👩‍👧 thumbs 👍🏽 end ";

/** Ordinary tokens tile the text: each span starts where the last ended and slices to its text. */
function expectTiling(text: string, tokens: Token[]): void {
  let end = 0;
  for (const token of tokens.filter((t) => !t.special)) {
    expect(token.span![0]).toBe(end);
    expect(text.slice(token.span![0], token.span![1])).toBe(token.text);
    end = token.span![1];
  }
  expect(end).toBe(text.length);
}

/** Every non-empty token text re-encodes to text that decodes back to itself. */
async function expectReencoding(tokenizer: TextTokenizer, tokens: Token[]): Promise<void> {
  for (const token of tokens) {
    if (token.special || token.text.length === 0) continue;
    const again = await tokenizer.encode(token.text, { addSpecialTokens: false });
    expect(await tokenizer.decode(again.map((t) => t.id!))).toBe(token.text);
  }
}

describe("loadHfTokenizer: GPT-2 style byte-level BPE (Ġ)", () => {
  let tokenizer: TextTokenizer;
  let pieceOf: (id: number) => string;
  beforeAll(async () => {
    const written = writeTokenizer("byte-level", "byte-level");
    pieceOf = written.pieceOf;
    tokenizer = await loadHfTokenizer(written.folder);
  });

  it("spans tile text with leading spaces, tabs, newlines, accents, CJK and emoji", async () => {
    const tokens = await tokenizer.encode(tricky, { addSpecialTokens: true });
    expect(tokens.every((token) => !token.special)).toBe(true);
    expectTiling(tricky, tokens);
    await expectReencoding(tokenizer, tokens);
    expect(await tokenizer.decode(tokens.map((t) => t.id!))).toBe(tricky);
  });

  it("a Ġ token spans its space; a whole-character token re-encodes to itself", async () => {
    const tokens = await tokenizer.encode(tricky, { addSpecialTokens: false });
    const spaced = tokens.filter((token) => pieceOf(token.id!).startsWith("Ġ"));
    expect(spaced.length).toBeGreaterThan(5);
    for (const token of spaced) expect(token.text.startsWith(" ")).toBe(true);
    let whole = 0;
    for (const token of tokens) {
      if (token.text.length === 0 || token.text.includes("\uFFFD")) continue;
      const bytes = new TextEncoder().encode(token.text).length;
      const pieceBytes = [...pieceOf(token.id!)].length;
      if (bytes !== pieceBytes) continue; // a character split over byte tokens
      const again = await tokenizer.encode(token.text, { addSpecialTokens: false });
      expect(again.map((t) => t.id)).toEqual([token.id]);
      whole++;
    }
    expect(whole).toBeGreaterThan(20);
  });

  it("a character split over byte tokens belongs to its first byte", async () => {
    const tokens = await tokenizer.encode("a😀b", { addSpecialTokens: false });
    expect(tokens.map((t) => t.text)).toEqual(["a", "😀", "", "", "", "b"]);
    expect(tokens.map((t) => t.span)).toEqual([
      [0, 1],
      [1, 3],
      [3, 3],
      [3, 3],
      [3, 3],
      [3, 4],
    ]);
  });

  it("decodeTokens continues a prompt, even one that ends inside a character, and drops EOS", async () => {
    const tokens = await tokenizer.encode("It rains. 😀 Then", { addSpecialTokens: false });
    const ids = tokens.map((t) => t.id!);
    // The prompt ends after the emoji's first byte token.
    const emoji = tokens.findIndex((t) => t.text === "😀");
    expect(tokens[emoji + 1]!.text).toBe("");
    const prompt = ids.slice(0, emoji + 1);
    const generated = [...ids.slice(emoji + 1), 2];
    const continuation = await tokenizer.decodeTokens(generated, prompt);
    expect(continuation.text).toBe("😀 Then");
    expect(continuation.tokens.at(-1)).toEqual({ id: 2, text: "", span: null, special: true, piece: "</s>" });
    for (const token of continuation.tokens.filter((t) => t.span)) {
      expect(continuation.text.slice(token.span![0], token.span![1])).toBe(token.text);
    }
    const whole = await tokenizer.decodeTokens(ids);
    expect(whole.text).toBe("It rains. 😀 Then");
  });
});

describe("loadHfTokenizer: SentencePiece BPE with byte fallback (▁)", () => {
  let tokenizer: TextTokenizer;
  let pieceOf: (id: number) => string;
  beforeAll(async () => {
    const written = writeTokenizer("sentencepiece", "sentencepiece");
    pieceOf = written.pieceOf;
    tokenizer = await loadHfTokenizer(written.folder);
  });

  it("adds BOS with addSpecialTokens only, as a special token without characters", async () => {
    const withBos = await tokenizer.encode("The river", { addSpecialTokens: true });
    expect(withBos[0]).toEqual({ id: 1, text: "", span: null, special: true, piece: "<s>" });
    const without = await tokenizer.encode("The river", { addSpecialTokens: false });
    expect(without.map((t) => t.id)).toEqual(withBos.slice(1).map((t) => t.id));
    expect(tokenizer.specialTokens).toEqual({ bos: 1, eos: [2], pad: 3, unk: 0 });
  });

  it("spans tile text with leading spaces, tabs, newlines, accents, CJK and emoji", async () => {
    const tokens = await tokenizer.encode(tricky, { addSpecialTokens: true });
    expectTiling(tricky, tokens);
    await expectReencoding(tokenizer, tokens);
    expect(await tokenizer.decode(tokens.map((t) => t.id!))).toBe(tricky);
    // Newlines and emoji are not in the vocabulary: byte fallback.
    expect(tokens.filter((t) => /^<0x[0-9A-F]{2}>$/.test(pieceOf(t.id!))).length).toBeGreaterThan(10);
  });

  it("a ▁ token spans its space, except the prefix space SentencePiece invents", async () => {
    const tokens = (await tokenizer.encode("The river runs", { addSpecialTokens: true })).slice(1);
    const first = tokens[0]!;
    expect(pieceOf(first.id!).startsWith("▁")).toBe(true);
    expect(first.text.startsWith(" ")).toBe(false);
    for (const token of tokens.slice(1)) {
      if (pieceOf(token.id!).startsWith("▁")) expect(token.text.startsWith(" ")).toBe(true);
    }
    const spaced = await tokenizer.encode("  two spaces", { addSpecialTokens: false });
    // "▁▁▁two": the invented space is the empty one, the two real ones keep their characters.
    expect(spaced.map((t) => t.text).join("")).toBe("  two spaces");
    expect(spaced[0]!.span).toEqual([0, 0]);
  });

  it("chat markers in the text are special tokens with their characters", async () => {
    const chat = await tokenizer.applyChatTemplate!([{ role: "user", content: "Hi there" }], {
      addGenerationPrompt: true,
    });
    expect(chat).toBe("<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n");
    const tokens = await tokenizer.encode(chat, { addSpecialTokens: false });
    const markers = tokens.filter((t) => t.special);
    expect(markers.map((t) => t.text)).toEqual(["<|im_start|>", "<|im_end|>", "<|im_start|>"]);
    expect(markers.map((t) => t.span)).toEqual([
      [0, 12],
      [25, 35],
      [36, 48],
    ]);
    expect(tokens.map((t) => t.text).join("")).toBe(chat);
  });

  it("decodeTokens after BOS shows no invented space; a continuation keeps its space", async () => {
    const text = "The river runs past the mill";
    const ids = (await tokenizer.encode(text, { addSpecialTokens: true })).map((t) => t.id!);
    expect((await tokenizer.decodeTokens(ids.slice(1), ids.slice(0, 1))).text).toBe(text);
    for (let split = 2; split < ids.length; split++) {
      const prompt = await tokenizer.decode(ids.slice(0, split));
      const continuation = await tokenizer.decodeTokens(ids.slice(split), ids.slice(0, split));
      expect(prompt + continuation.text).toBe(text);
      if (pieceOf(ids[split]!).startsWith("▁")) expect(continuation.text.startsWith(" ")).toBe(true);
    }
  });
});

describe("loadHfTokenizer: files", () => {
  it("reads chat_template.jinja when tokenizer_config.json has no template", async () => {
    const { folder } = writeTokenizer("jinja", "byte-level", (config) => {
      delete config["chat_template"];
    });
    expect((await loadHfTokenizer(folder)).applyChatTemplate).toBeUndefined();
    writeFileSync(
      join(folder, "chat_template.jinja"),
      "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}{% endfor %}",
    );
    const tokenizer = await loadHfTokenizer(folder);
    expect(await tokenizer.applyChatTemplate!([{ role: "user", content: "hi" }])).toBe("[user] hi");
  });

  it("loads tokenizer.json alone, and adds eos ids from the model config", async () => {
    const { folder } = writeTokenizer("alone", "byte-level");
    rmSync(join(folder, "tokenizer_config.json"));
    const tokenizer = await loadHfTokenizer(folder, { extraEosTokenIds: [5, 2] });
    expect(tokenizer.specialTokens.eos).toEqual([5, 2]);
    const tokens = await tokenizer.encode("Hello there", { addSpecialTokens: true });
    expect(tokens.map((t) => t.text).join("")).toBe("Hello there");
  });

  it("a folder without tokenizer.json is MODEL_LOAD_FAILED", async () => {
    const folder = join(root, "empty");
    mkdirSync(folder, { recursive: true });
    try {
      await loadHfTokenizer(folder);
      expect.unreachable();
    } catch (error) {
      expect(isTokenscopeError(error, "MODEL_LOAD_FAILED")).toBe(true);
      expect((error as Error).message).toContain("has no tokenizer.json");
    }
  });
});
