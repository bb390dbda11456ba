import { existsSync, readFileSync } from "node:fs";
import type { SequenceAttribution } from "@tokenscope/core";
import { readLlama2cTokenizer } from "@tokenscope/models";
import { describe, expect, it } from "vitest";
import { plausibility, textWords } from "../plausibility/index.ts";
import { parseAnnotatedLambada } from "./lambada.ts";
import { dataDir, hasData, readData } from "./test-data.test-helpers.ts";

const tokenizerFile = new URL("../models/stories260K/tok512.bin", `file://${dataDir}`);

describe.skipIf(!hasData || !existsSync(tokenizerFile))(
  "plausibility over a real tokenization (stories260K's tokenizer)",
  () => {
    it("maps the tokens' spans to the annotated words of every LAMBADA context", () => {
      const tokenizer = readLlama2cTokenizer(new Uint8Array(readFileSync(tokenizerFile)), { vocabSize: 512 });
      for (const item of parseAnnotatedLambada(readData("reagent/annotated_lambada.json"))) {
        const source = tokenizer.encode(item.prompt, { addBos: true });
        const words = textWords(item.prompt);
        // Oracle importance: 1 on every token that overlaps a word the annotators marked.
        const marked = (span: [number, number] | null) =>
          span !== null &&
          words.some(
            (word) =>
              span[0] < word.span[1] &&
              word.span[0] < span[1] &&
              item.rationale.some(([s, e]) => s < word.span[1] && word.span[0] < e),
          );
        const sequence: SequenceAttribution = {
          sourceText: item.prompt,
          targetText: item.targetText,
          source,
          target: [{ id: 0, text: item.targetText, span: [0, item.targetText.length], special: false }],
          sourceAttributions: [source.map((token) => (marked(token.span) ? 1 : 0))],
          targetAttributions: null,
          stepScores: {},
          extras: {},
          aggregation: [],
        };
        expect(plausibility(sequence, 0, item.rationale), item.id).toEqual({ f1: 1, iou: 1, auprc: 1 });
      }
    });
  },
);
