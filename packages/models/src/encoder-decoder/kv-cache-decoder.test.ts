import type { GenerationOptions, LanguageModel } from "@tokenscope/core";
import type { RuntimeTensor } from "@tokenscope/tensor-backends";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CTranslate2TransformerFolder,
  loadCTranslate2TransformerFolder,
} from "../formats/ctranslate2/load-folder.ts";
import { ctranslate2TokensToIds } from "../formats/ctranslate2/vocabulary.ts";
import { int64Rows, sessionOf } from "../graphs/run.test-helpers.ts";
import { generateTokens } from "../language-model/generate.ts";
import type { IncrementalDecoder } from "../language-model/incremental-decoder.ts";
import { loadModel } from "../load-model.ts";
import { arenTransliterationDir } from "../testing/assets.test-helpers.ts";
import { buildSplitTransformerGraphs } from "./split-graph.ts";

let aren: CTranslate2TransformerFolder;
let model: LanguageModel;
let graphs: ReturnType<typeof buildSplitTransformerGraphs>;
beforeAll(async () => {
  aren = await loadCTranslate2TransformerFolder(arenTransliterationDir);
  graphs = buildSplitTransformerGraphs(aren.weights);
  model = await loadModel(arenTransliterationDir);
});
afterAll(async () => {
  await model.dispose?.();
});

/**
 * The decoder generation used before the KV cache: the source encoded once, then every step runs
 * the split decoder over `<s>` and the whole target so far.
 */
function recomputeDecoder(sourceLength: number): IncrementalDecoder {
  const target = [aren.weights.config.decoderStartTokenId!];
  const vocab = aren.weights.config.targetVocabSize;
  let encoded: { mask: RuntimeTensor; hiddenStates: RuntimeTensor } | undefined;
  return {
    async append(ids) {
      if (encoded === undefined) {
        const source = ids.slice(0, sourceLength);
        const mask = int64Rows([source.map(() => 1)]);
        const outputs = await (await sessionOf(graphs.encoder)).run({
          input_ids: int64Rows([source]),
          attention_mask: mask,
        });
        encoded = { mask, hiddenStates: outputs["encoder_hidden_states"]! };
        target.push(...ids.slice(sourceLength));
      } else {
        target.push(...ids);
      }
      const outputs = await (await sessionOf(graphs.decoder)).run({
        attention_mask: encoded.mask,
        encoder_hidden_states: encoded.hiddenStates,
        decoder_input_ids: int64Rows([target]),
        decoder_attention_mask: int64Rows([target.map(() => 1)]),
      });
      const logits = outputs["logits"]!.data as Float32Array;
      return logits.subarray((target.length - 1) * vocab, target.length * vocab);
    },
  };
}

describe("createEncoderDecoderKvCacheDecoder (through the aren-transliteration model)", () => {
  it("generates what recomputing the decoder every step generates, greedy, sampled and forced", async () => {
    const prefix = ctranslate2TokensToIds(aren.targetVocabulary, [..."at"]);
    const settings: GenerationOptions[] = [
      { temperature: 1, topK: 5, seed: 3, maxNewTokens: 10 },
      { temperature: 1.5, seed: 11, maxNewTokens: 10 },
      { temperature: 0.8, topP: 0.9, seed: 5, maxNewTokens: 10 },
      { prefixIds: prefix },
      { forcedIds: [...prefix, ...prefix] },
    ];
    const cases: Array<[string, GenerationOptions]> = [
      ...["آتزمون", "آتشيسون", "آزا", "أحمد", "جون"].map((name): [string, GenerationOptions] => [name, {}]),
      ...settings.map((options, index): [string, GenerationOptions] => [
        index % 2 ? "أحمد" : "آتشيسون",
        options,
      ]),
    ];
    for (const [name, options] of cases) {
      const source = ctranslate2TokensToIds(aren.sourceVocabulary, [...name]);
      const cached = await model.generate!(source, options);
      const recomputed = await generateTokens(model, source, options, recomputeDecoder(source.length));
      expect(cached.ids, `${name} ${JSON.stringify(options)}`).toEqual(recomputed.ids);
    }
  });

  it("refuses a forced target id outside the target vocabulary with INVALID_INPUT", async () => {
    const source = ctranslate2TokensToIds(aren.sourceVocabulary, [..."جون"]);
    await expect(model.generate!(source, { prefixIds: [43] })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
  });
});
