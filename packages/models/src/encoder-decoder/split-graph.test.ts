import { beforeAll, describe, expect, it } from "vitest";
import {
  type CTranslate2TransformerFolder,
  loadCTranslate2TransformerFolder,
} from "../formats/ctranslate2/load-folder.ts";
import { ctranslate2TokensToIds } from "../formats/ctranslate2/vocabulary.ts";
import { buildTransformerGraph } from "../graphs/encoder-decoder/transformer.ts";
import { int64Rows, maxAbsDiff, sessionOf } from "../graphs/run.test-helpers.ts";
import { arenTransliterationDir } from "../testing/assets.test-helpers.ts";
import { buildSplitTransformerGraphs } from "./split-graph.ts";

let aren: CTranslate2TransformerFolder;
beforeAll(async () => {
  aren = await loadCTranslate2TransformerFolder(arenTransliterationDir);
});

describe("buildSplitTransformerGraphs", () => {
  it("cuts an encoder and a decoder that together give the full graph's logits", async () => {
    const { encoder, decoder } = buildSplitTransformerGraphs(aren.weights);
    expect(encoder.graph.inputs.map((value) => value.name)).toEqual(["input_ids", "attention_mask"]);
    expect(encoder.graph.outputs.map((value) => value.name)).toEqual(["encoder_hidden_states"]);
    expect(decoder.graph.inputs.map((value) => value.name).sort()).toEqual([
      "attention_mask",
      "decoder_attention_mask",
      "decoder_input_ids",
      "encoder_hidden_states",
    ]);
    expect(decoder.graph.outputs.map((value) => value.name)).toEqual(["logits"]);
    // The decoder holds no encoder weights, the encoder no decoder weights.
    expect(decoder.graph.initializers.some((tensor) => tensor.name.startsWith("encoder/"))).toBe(false);
    expect(encoder.graph.initializers.some((tensor) => tensor.name.startsWith("decoder/"))).toBe(false);

    const source = int64Rows([ctranslate2TokensToIds(aren.sourceVocabulary, [..."آتزمون"])]);
    const sourceMask = int64Rows([[1, 1, 1, 1, 1, 1]]);
    const target = int64Rows([ctranslate2TokensToIds(aren.targetVocabulary, ["<s>", ..."atz"])]);
    const targetMask = int64Rows([[1, 1, 1, 1]]);
    const full = await (await sessionOf(buildTransformerGraph(aren.weights).model)).run({
      input_ids: source,
      attention_mask: sourceMask,
      decoder_input_ids: target,
      decoder_attention_mask: targetMask,
    });
    const encoded = await (await sessionOf(encoder)).run({ input_ids: source, attention_mask: sourceMask });
    expect(encoded["encoder_hidden_states"]!.dims).toEqual([1, 6, 32]);
    const split = await (await sessionOf(decoder)).run({
      attention_mask: sourceMask,
      encoder_hidden_states: encoded["encoder_hidden_states"]!,
      decoder_input_ids: target,
      decoder_attention_mask: targetMask,
    });
    expect(split["logits"]!.dims).toEqual([1, 4, 43]);
    expect(
      maxAbsDiff(
        Float64Array.from(split["logits"]!.data as Float32Array),
        Float64Array.from(full["logits"]!.data as Float32Array),
      ),
    ).toBeLessThan(1e-6);
  });
});
