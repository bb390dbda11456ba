import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError, limits } from "@tokenscope/core";
import { afterAll, describe, expect, it } from "vitest";
import { buildHfTokenizerFiles } from "../hf/random-tokenizer.ts";
import { loadHfTokenizer } from "./hf-load-tokenizer.ts";
import { hfTokenizerFromJson } from "./hf-pretrained.ts";
import { checkTokenizerJsonBounds, configVocabSize } from "./hf-tokenizer-bounds.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-tokenizer-bounds-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Json = Record<string, unknown> & {
  model: { vocab: Record<string, unknown> };
  added_tokens: Record<string, unknown>[];
};

/** A working byte-level BPE tokenizer of 400 ids, as parsed JSON, to spoil. */
function tokenizerJson(): Json {
  return structuredClone(
    buildHfTokenizerFiles({ style: "byte-level", vocabSize: 400 }).tokenizerJson,
  ) as Json;
}

function refusal(run: () => unknown): Error & { code?: string } {
  try {
    run();
  } catch (error) {
    expect(isTokenscopeError(error), String(error)).toBe(true);
    return error as Error & { code?: string };
  }
  return expect.unreachable("no error");
}

describe("tokenizer.json ids are checked before @huggingface/tokenizers sees them", () => {
  it('refuses a vocab entry "evil": 1000000000 at once (was: a 75 s loop over 10^9 slots, deaf to Ctrl-C)', () => {
    const json = tokenizerJson();
    json.model.vocab["evil"] = 1_000_000_000;
    const started = performance.now();
    const error = refusal(() => hfTokenizerFromJson({ tokenizerJson: json }, { source: "m" }));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain('model.vocab gives the token "evil" the id 1,000,000,000');
    expect(error.message).toContain("from 0 to 16,777,215");
  });

  it.each([
    ["negative", -5],
    ["fractional", 1.5],
    ["a string", "7"],
    ["above 2^53", 1e20],
  ])("refuses an added token whose id is %s", (_what, id) => {
    const json = tokenizerJson();
    json.added_tokens.push({ id, content: "<x>", special: true });
    const error = refusal(() => checkTokenizerJsonBounds(json, "m"));
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain('added_tokens gives the token "<x>" the id');
  });

  it("holds ids near the model's vocab_size when it is known, and accepts a few ids past it", () => {
    const json = tokenizerJson();
    json.added_tokens.push({ id: 1_400, content: "<pad>", special: true });
    expect(() => checkTokenizerJsonBounds(json, "m")).not.toThrow();
    expect(() => checkTokenizerJsonBounds(json, "m", { vocabSize: 400 })).not.toThrow(); // 1,024 spare ids
    const far = refusal(() => checkTokenizerJsonBounds(json, "m", { vocabSize: 256 }));
    expect(far.message).toContain(
      "the id 1,400; token ids are integers from 0 to 1,279 (the model's vocab_size is 256",
    );
  });

  it("reads vocab_size from a folder's config.json (or its text_config)", async () => {
    expect(configVocabSize({ vocab_size: 32_000 })).toBe(32_000);
    expect(configVocabSize({ text_config: { vocab_size: 32_064 } })).toBe(32_064);
    expect(configVocabSize({ vocab_size: "32000" })).toBeUndefined();
    const folder = join(root, "far-id");
    mkdirSync(folder);
    const json = tokenizerJson();
    json.added_tokens.push({ id: 5_000, content: "<far>", special: true });
    writeFileSync(join(folder, "tokenizer.json"), JSON.stringify(json));
    writeFileSync(join(folder, "config.json"), JSON.stringify({ vocab_size: 400 }));
    const error = await loadHfTokenizer(folder).then(
      () => expect.unreachable("loaded"),
      (caught: Error) => caught,
    );
    expect(error.message).toContain('gives the token "<far>" the id 5,000');
    // A broken config.json is the model loader's to report: here it only means no known size.
    writeFileSync(join(folder, "config.json"), "{not json");
    await expect(loadHfTokenizer(folder)).resolves.toBeDefined();
  });
});

describe("token lengths are bounded by limits.tokenChars", () => {
  const tooLong = "x".repeat(limits.tokenChars.max + 1);

  it("refuses a 65,537-character added token before the library builds its matcher (was: 2 GB for 10 MB)", () => {
    const json = tokenizerJson();
    json.added_tokens.push({ id: 399, content: tooLong, special: false });
    const error = refusal(() => hfTokenizerFromJson({ tokenizerJson: json }));
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain(
      'added_tokens has a token of 65,537 characters ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…"), above tokenscope\'s limit of 65,536',
    );
  });

  it("refuses a vocab entry as long, and accepts one at the limit", () => {
    const json = tokenizerJson();
    json.model.vocab[tooLong] = 399;
    expect(refusal(() => checkTokenizerJsonBounds(json, "m")).message).toContain(
      "model.vocab has a token of 65,537 characters",
    );
    const atLimit = tokenizerJson();
    atLimit.added_tokens.push({ id: 399, content: tooLong.slice(1), special: false });
    expect(() => hfTokenizerFromJson({ tokenizerJson: atLimit })).not.toThrow();
  });

  it("checks Unigram vocabularies ([piece, score] pairs) too", () => {
    const unigram = {
      model: {
        type: "Unigram",
        vocab: [
          ["<unk>", 0],
          [tooLong, -1],
        ],
      },
      added_tokens: [],
    };
    expect(refusal(() => checkTokenizerJsonBounds(unigram, "m")).message).toContain(
      "model.vocab has a token of 65,537 characters",
    );
  });
});
