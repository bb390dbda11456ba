import {
  type ForwardRequest,
  type LanguageModel,
  parseParameters,
  type SpecialTokenIds,
} from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import {
  contextFor,
  createIndicatorModel,
  indicatorSequence,
  probabilityOfIds,
  toySequence,
} from "./models.test-helpers.ts";
import { occlusion } from "./occlusion.ts";
import { unknownReplacement } from "./shared/baselines.ts";

// Occlusion's defaults are Inseq's: the UNK token replaces a token, |Δf| is reported, nothing is normalised.
const toy = createToyModel({ seed: 5 });

/** `model` with every id row it is asked to run recorded, in order. */
function recordingIds(model: LanguageModel): { model: LanguageModel; rows: number[][] } {
  const rows: number[][] = [];
  const forward = model.forward!;
  return {
    rows,
    model: {
      ...model,
      forward: async (request: ForwardRequest) => {
        if ("ids" in request.inputs) rows.push(...request.inputs.ids);
        return forward(request);
      },
    },
  };
}

describe("occlusion defaults (Inseq's)", () => {
  it("are baseline unk, abs true and no per-step normalisation; token units, BOS left alone", () => {
    expect(parseParameters(occlusion.parameters, {}, "occlusion")).toEqual({
      unit: "token",
      spans: { source: [], target: [] },
      baseline: "unk",
      abs: true,
      include_special: false,
      batch_size: 32,
    });
    expect(occlusion.normalizeByDefault).toBe(false);
    expect(occlusion.description).toContain('{ baseline: "zero", abs: false }');
  });

  it("score |f(x) − f(x with UNK at s)|, computed through the toy forward; abs: false keeps the sign", async () => {
    const sequence = await toySequence(toy, "the cat", " sat");
    const context = (parameters: Record<string, unknown>) =>
      contextFor(toy, [sequence], { attributeTarget: true, parameters });
    const [output] = await occlusion.run(context({}));
    const [signed] = await occlusion.run(context({ abs: false }));
    const unk = toy.info.specialTokens.unk!;
    const ids = [...sequence.source, ...sequence.target].map((t) => t.id!);
    const S = sequence.source.length;
    const T = sequence.target.length;
    let negatives = 0;
    for (let t = 0; t < T; t++) {
      const prefix = ids.slice(0, S + t);
      const targetId = ids[S + t]!;
      const original = await probabilityOfIds(toy, prefix, targetId);
      const drop = async (position: number) =>
        original -
        (await probabilityOfIds(
          toy,
          prefix.map((id, p) => (p === position ? unk : id)),
          targetId,
        ));
      expect(output!.source.data[t * S]).toBe(0); // BOS is not occluded by default
      for (let s = 1; s < S; s++) {
        const expected = await drop(s);
        if (expected < 0) negatives++;
        expect(output!.source.data[t * S + s]).toBeCloseTo(Math.abs(expected), 12);
        expect(signed!.source.data[t * S + s]).toBeCloseTo(expected, 12);
      }
      for (let u = 0; u < t; u++)
        expect(output!.target!.data[t * T + u]).toBeCloseTo(Math.abs(await drop(S + u)), 12);
    }
    // Some drops are negative, so the default really differs from the signed (Captum) score.
    expect(negatives).toBeGreaterThan(0);
  });

  it('"unk" falls back to the padding token, then the first EOS, as Inseq; with none it is an error', async () => {
    expect(unknownReplacement({ unk: 0, pad: 9, eos: [2] })).toEqual({ id: 0, token: "unk" });
    expect(unknownReplacement({ pad: 9, eos: [2] })).toEqual({ id: 9, token: "pad" });
    expect(unknownReplacement({ bos: 1, eos: [2, 7] })).toEqual({ id: 2, token: "eos" });
    expect(unknownReplacement({ bos: 1 })).toBeUndefined();
    const cases: [SpecialTokenIds, number][] = [
      [{ bos: 1, pad: 9, eos: [2] }, 9],
      [{ bos: 1, eos: [2] }, 2],
    ];
    for (const [specialTokens, replacement] of cases) {
      const { model, rows } = recordingIds(createIndicatorModel({ weights: [0, 1], specialTokens }));
      await occlusion.run(
        contextFor(model, [indicatorSequence([3], [5])], {
          attributedFunction: { id: "logit", parameters: {} },
        }),
      );
      expect(rows).toEqual([
        [1, 3],
        [1, replacement],
      ]);
    }
  });
});
