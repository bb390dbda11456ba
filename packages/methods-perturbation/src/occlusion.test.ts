import { isTokenscopeError } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { featureAblation } from "./feature-ablation.ts";
import {
  contextFor,
  countForwardCalls,
  createIndicatorModel,
  indicatorSequence,
  probabilityOfIds,
  probabilityWithZeroed,
  softmaxProbability,
  toySequence,
} from "./models.test-helpers.ts";
import { occlusion } from "./occlusion.ts";
import { rowBytes } from "./shared/memory-budget.ts";

const toy = createToyModel({ seed: 5 });

describe("occlusion", () => {
  it('Captum\'s occlusion ({ baseline: "zero", abs: false }) equals f(original) − f(that embedding zeroed)', async () => {
    const sequence = await toySequence(toy, "a cat", " ran");
    const [output] = await occlusion.run(
      contextFor(toy, [sequence], { attributeTarget: true, parameters: { baseline: "zero", abs: false } }),
    );
    const ids = [...sequence.source, ...sequence.target].map((t) => t.id!);
    const S = sequence.source.length;
    const T = sequence.target.length;
    for (let t = 0; t < T; t++) {
      const prefix = ids.slice(0, S + t);
      const targetId = ids[S + t]!;
      const original = await probabilityWithZeroed(toy, prefix, [], targetId);
      expect(output!.stepScores!["probability"]![t]).toBeCloseTo(original, 12);
      expect(output!.source.data[t * S]).toBe(0); // BOS is not occluded by default
      for (let s = 1; s < S; s++) {
        const expected = original - (await probabilityWithZeroed(toy, prefix, [s], targetId));
        expect(output!.source.data[t * S + s]).toBeCloseTo(expected, 12);
      }
      for (let u = 0; u < T; u++) {
        const cell = output!.target!.data[t * T + u]!;
        if (u >= t) expect(cell).toBeNaN();
        else {
          const expected = original - (await probabilityWithZeroed(toy, prefix, [S + u], targetId));
          expect(cell).toBeCloseTo(expected, 12);
        }
      }
    }
  });

  it('"removal" drops the token and shifts; "unk" replaces it; steps not attributed stay NaN', async () => {
    const sequence = await toySequence(toy, "dog", " ok");
    sequence.steps = [1];
    const ids = [...sequence.source, ...sequence.target].map((t) => t.id!);
    const prefix = ids.slice(0, 5); // BOS d o g " " predicts "o"
    const targetId = ids[5]!;
    const original = await probabilityOfIds(toy, prefix, targetId);
    const [removed] = await occlusion.run(
      contextFor(toy, [sequence], { parameters: { baseline: "removal", abs: false } }),
    );
    const [unk] = await occlusion.run(
      contextFor(toy, [sequence], { parameters: { baseline: "unk", abs: false } }),
    );
    for (let s = 1; s < 4; s++) {
      const dropped = prefix.filter((_, position) => position !== s);
      expect(removed!.source.data[4 + s]).toBeCloseTo(
        original - (await probabilityOfIds(toy, dropped, targetId)),
        12,
      );
      const replaced = prefix.map((id, position) => (position === s ? 0 : id));
      expect(unk!.source.data[4 + s]).toBeCloseTo(
        original - (await probabilityOfIds(toy, replaced, targetId)),
        12,
      );
    }
    expect(Array.from(removed!.source.data.subarray(0, 4)).every(Number.isNaN)).toBe(true);
  });

  it('"mean" replaces the embedding by the mean embedding of the step\'s own input', async () => {
    const sequence = await toySequence(toy, "go", " now");
    sequence.steps = [2];
    const [output] = await occlusion.run(
      contextFor(toy, [sequence], { parameters: { baseline: "mean", abs: false } }),
    );
    const ids = [...sequence.source, ...sequence.target].map((t) => t.id!).slice(0, 5); // BOS g o " " n
    const targetId = sequence.target[2]!.id!;
    const embedded = await toy.embed!([ids]);
    const mean = new Float64Array(8);
    for (let p = 0; p < 5; p++) for (let k = 0; k < 8; k++) mean[k]! += embedded.data[p * 8 + k]! / 5;
    const withMean = async (position: number) => {
      const data = Float64Array.from(embedded.data);
      data.set(mean, position * 8);
      const { logits } = await toy.forward!({
        inputs: { embeddings: { data, dims: [1, 5, 8] } },
        positions: [[4]],
      });
      return softmaxProbability(logits.data, targetId);
    };
    const base = await probabilityWithZeroed(toy, ids, [], targetId);
    for (const s of [1, 2])
      expect(output!.source.data[2 * 3 + s]).toBeCloseTo(base - (await withMean(s)), 12);
  });

  it("scores the linear weight of each token on an indicator model (unk baseline, logit)", async () => {
    const weights = [0.4, 1.5, -2, 0.25];
    const model = createIndicatorModel({ weights, bias: 1 });
    const [output] = await occlusion.run(
      contextFor(model, [indicatorSequence([3, 4, 6], [5])], {
        parameters: { baseline: "unk", include_special: true, abs: false },
        attributedFunction: { id: "logit", parameters: {} },
      }),
    );
    Array.from(output!.source.data).forEach((value, s) => {
      expect(value).toBeCloseTo(weights[s]!, 14);
    });
  });

  it("gives every token of a word, span or sentence the score of occluding the whole unit", async () => {
    const sequence = await toySequence(toy, "big cat. so sad", "!");
    const ids = sequence.source.map((t) => t.id!);
    const targetId = sequence.target[0]!.id!;
    const original = await probabilityWithZeroed(toy, ids, [], targetId);
    const unitScore = async (positions: number[]) =>
      original - (await probabilityWithZeroed(toy, ids, positions, targetId));
    const row = async (parameters: Record<string, unknown>) =>
      Array.from(
        (
          await occlusion.run(
            contextFor(toy, [sequence], { parameters: { baseline: "zero", abs: false, ...parameters } }),
          )
        )[0]!.source.data,
      );

    const words = await row({ unit: "word" });
    // Source: BOS b i g " " c a t . " " s o " " s a d — words are "big", " ", "cat.", " ", "so", " ", "sad".
    const cat = await unitScore([5, 6, 7, 8]);
    for (const position of [5, 6, 7, 8]) expect(words[position]).toBeCloseTo(cat, 12);
    expect(words[4]).toBeCloseTo(await unitScore([4]), 12);
    expect(words[0]).toBe(0);

    const sentences = await row({ unit: "sentence" });
    // The space after "cat." stays with the first sentence (core's sentence rule).
    const first = await unitScore([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const second = await unitScore([10, 11, 12, 13, 14, 15]);
    for (let s = 1; s <= 9; s++) expect(sentences[s]).toBeCloseTo(first, 12);
    for (let s = 10; s <= 15; s++) expect(sentences[s]).toBeCloseTo(second, 12);

    const spans = await row({ unit: "span", spans: { source: [[13, 16]], target: [] } });
    const sad = await unitScore([13, 14, 15]);
    for (const position of [13, 14, 15]) expect(spans[position]).toBeCloseTo(sad, 12);
    expect(spans[1]).toBeCloseTo(await unitScore([1]), 12);
  });

  it("occludes BOS only with include_special", async () => {
    const sequence = await toySequence(toy, "hi", "!");
    const ids = sequence.source.map((t) => t.id!);
    const targetId = sequence.target[0]!.id!;
    const [output] = await occlusion.run(
      contextFor(toy, [sequence], { parameters: { include_special: true, baseline: "zero", abs: false } }),
    );
    const expected =
      (await probabilityWithZeroed(toy, ids, [], targetId)) -
      (await probabilityWithZeroed(toy, ids, [0], targetId));
    expect(output!.source.data[0]).toBeCloseTo(expected, 12);
    expect(expected).not.toBe(0);
  });
});

describe("batching", () => {
  it("sends N tokens × T steps (plus the T originals) in ONE forward call when batch_size allows", async () => {
    const { model, rowsPerCall } = countForwardCalls(toy);
    const sequence = await toySequence(toy, "the cat", " sat");
    const N = 7; // non-special source tokens
    const T = 4;
    await occlusion.run(contextFor(model, [sequence], { parameters: { batch_size: N * T + T } }));
    expect(rowsPerCall).toEqual([N * T + T]);
  });

  it("splits the same rows into ceil(rows / batch_size) calls, across sequences, with equal results", async () => {
    const { model, rowsPerCall } = countForwardCalls(toy);
    const first = await toySequence(toy, "the cat", " sat");
    const second = await toySequence(toy, "a dog", " ran");
    const rows = 7 * 4 + 4 + 5 * 4 + 4;
    const small = await occlusion.run(contextFor(model, [first, second], { parameters: { batch_size: 10 } }));
    expect(rowsPerCall).toEqual([10, 10, 10, 10, 10, 6]);
    expect(rowsPerCall.reduce((a, b) => a + b, 0)).toBe(rows);
    const large = await occlusion.run(contextFor(toy, [first, second], { parameters: { batch_size: 1000 } }));
    expect(Array.from(small[1]!.source.data)).toEqual(Array.from(large[1]!.source.data));
  });

  it("lowers the rows per call under the context's memory budget, with the same results", async () => {
    const sequence = await toySequence(toy, "the cat", " sat");
    // The longest input is step 3's: BOS "the cat" " sa" = 11 tokens.
    const perRow = rowBytes(toy.info, { length: 11, logitPositions: 1, embeddings: true });
    const { model, rowsPerCall } = countForwardCalls(toy);
    // Embedding rows, as the per-row bytes above assume.
    const parameters = { baseline: "zero" };
    const budgeted = await occlusion.run(
      contextFor(model, [sequence], { memoryBudgetBytes: 5 * perRow, parameters }),
    );
    expect(rowsPerCall).toEqual([5, 5, 5, 5, 5, 5, 2]);
    const free = await occlusion.run(contextFor(toy, [sequence], { parameters }));
    expect(Array.from(budgeted[0]!.source.data)).toEqual(Array.from(free[0]!.source.data));
  });

  it("reports progress after each call and honours an AbortSignal between calls", async () => {
    const sequence = await toySequence(toy, "the cat", " sat");
    const events: number[] = [];
    await occlusion.run(
      contextFor(toy, [sequence], {
        parameters: { batch_size: 16 },
        onProgress: (event) => events.push(event.completed),
      }),
    );
    expect(events).toEqual([16, 32]);

    const before = new AbortController();
    before.abort("stop");
    const early = await occlusion.run(contextFor(toy, [sequence], { signal: before.signal })).catch((e) => e);
    expect(isTokenscopeError(early, "ABORTED")).toBe(true);

    const during = new AbortController();
    const { model, rowsPerCall } = countForwardCalls(toy);
    const late = await occlusion
      .run(
        contextFor(model, [sequence], {
          parameters: { batch_size: 4 },
          signal: during.signal,
          onProgress: () => during.abort("enough"),
        }),
      )
      .catch((e) => e);
    expect(isTokenscopeError(late, "ABORTED")).toBe(true);
    expect(rowsPerCall).toEqual([4]);
  });
});

describe("errors", () => {
  it("rejects bad parameters and typos with the schema's message", async () => {
    const sequence = await toySequence(toy, "ab", "c");
    const typo = await occlusion
      .run(contextFor(toy, [sequence], { parameters: { baseLine: "unk" } }))
      .catch((e) => e);
    expect(isTokenscopeError(typo, "INVALID_PARAMETERS")).toBe(true);
    expect(typo.message).toContain("baseLine");
    const bad = await occlusion
      .run(contextFor(toy, [sequence], { parameters: { baseline: "blank" } }))
      .catch((e) => e);
    expect(isTokenscopeError(bad, "INVALID_PARAMETERS")).toBe(true);
    expect(bad.message).toContain("baseline");
    const size = await occlusion
      .run(contextFor(toy, [sequence], { parameters: { batch_size: 0 } }))
      .catch((e) => e);
    expect(isTokenscopeError(size, "INVALID_PARAMETERS")).toBe(true);
  });

  it("MISSING_CAPABILITY names embed and the model when the zero or mean baseline meets a model without embed", async () => {
    const model = createIndicatorModel({ weights: [0, 1], id: "no-embed-model" });
    const sequence = indicatorSequence([3], [5]);
    for (const baseline of ["zero", "mean"]) {
      const error = await occlusion
        .run(contextFor(model, [sequence], { parameters: { baseline } }))
        .catch((e) => e);
      expect(isTokenscopeError(error, "MISSING_CAPABILITY")).toBe(true);
      expect(error.message).toContain('"embed"');
      expect(error.message).toContain("no-embed-model");
    }
    // The same model works with a baseline that needs no embeddings.
    const [output] = await occlusion.run(
      contextFor(model, [sequence], {
        parameters: { baseline: "unk" },
        attributedFunction: { id: "logit", parameters: {} },
      }),
    );
    expect(output!.source.data[1]).toBe(1);
  });

  it('"unk" and "pad" without such a token name the model', async () => {
    const model = createIndicatorModel({ weights: [0, 1], id: "tokenless", specialTokens: { bos: 1 } });
    for (const baseline of ["unk", "pad"]) {
      const error = await occlusion
        .run(contextFor(model, [indicatorSequence([3], [5])], { parameters: { baseline } }))
        .catch((e) => e);
      expect(isTokenscopeError(error, "INVALID_PARAMETERS")).toBe(true);
      expect(error.message).toContain('"tokenless"');
    }
  });

  it("bad spans and groups are INVALID_INPUT naming the method", async () => {
    const sequence = await toySequence(toy, "ab", "c");
    const span = await occlusion
      .run(
        contextFor(toy, [sequence], {
          parameters: { unit: "span", spans: { source: [[2, 9]], target: [] } },
        }),
      )
      .catch((e) => e);
    expect(isTokenscopeError(span, "INVALID_INPUT")).toBe(true);
    expect(span.message).toContain('Method "occlusion"');
    const group = await featureAblation
      .run(
        contextFor(toy, [sequence], {
          parameters: { features: "group", groups: { source: [[1, 2], [2]], target: [] } },
        }),
      )
      .catch((e) => e);
    expect(isTokenscopeError(group, "INVALID_INPUT")).toBe(true);
    expect(group.message).toContain("two groups");
  });
});

describe("feature_ablation", () => {
  it("is signed occlusion (abs: false) on single tokens, number for number", async () => {
    const sequence = await toySequence(toy, "the cat", " sat");
    for (const baseline of ["zero", "unk", "mean", "removal"]) {
      const context = (parameters: Record<string, unknown>) =>
        contextFor(toy, [sequence], { parameters, attributeTarget: true });
      const [a] = await occlusion.run(context({ baseline, abs: false }));
      const [b] = await featureAblation.run(context({ baseline }));
      expect(Array.from(b!.source.data)).toEqual(Array.from(a!.source.data));
      expect(Array.from(b!.target!.data)).toEqual(Array.from(a!.target!.data));
    }
  });

  it("ablates a user group at once; tokens outside groups are their own features", async () => {
    const sequence = await toySequence(toy, "abcd", "e");
    const ids = sequence.source.map((t) => t.id!);
    const targetId = sequence.target[0]!.id!;
    const [output] = await featureAblation.run(
      contextFor(toy, [sequence], {
        parameters: { features: "group", groups: { source: [[1, 3]], target: [] } },
      }),
    );
    const original = await probabilityWithZeroed(toy, ids, [], targetId);
    const group = original - (await probabilityWithZeroed(toy, ids, [1, 3], targetId));
    expect(output!.source.data[1]).toBeCloseTo(group, 12);
    expect(output!.source.data[3]).toBeCloseTo(group, 12);
    expect(output!.source.data[2]).toBeCloseTo(
      original - (await probabilityWithZeroed(toy, ids, [2], targetId)),
      12,
    );
  });
});
