import { describe, expect, it } from "vitest";
import { createToyModel } from "./toy-model.ts";

describe("toy model", () => {
  const model = createToyModel({ seed: 3 });

  it("tokenizes one character per token with spans and BOS", async () => {
    const { tokens } = await model.tokenize("ab c");
    expect(tokens.map((token) => token.text)).toEqual(["", "a", "b", " ", "c"]);
    expect(tokens[0]).toMatchObject({ special: true, span: null });
    expect(tokens[4]!.span).toEqual([3, 4]);
  });

  it("describes generated ids as tokens with spans into their decoded text", async () => {
    const { text, tokens } = await model.decodeTokens([5, 4, 2]);
    expect(text).toBe("ba");
    expect(tokens.map((token) => token.span)).toEqual([[0, 1], [1, 2], null]);
    expect(tokens[2]!.special).toBe(true);
  });

  it("gives gradients equal to central finite differences of the seeded logits", async () => {
    const ids = [[1, 5, 9, 4, 12]];
    const embeddings = await model.embed!(ids);
    const vocab = model.info.vocabSize;
    const seeds = Float64Array.from({ length: vocab }, (_, v) => Math.sin(v + 1));
    const position = 3;
    const { gradients } = await model.gradients!({
      inputs: { embeddings },
      objective: { kind: "logitSeeds", positions: [position], seeds: { data: seeds, dims: [1, vocab] } },
    });
    const objectiveAt = async (data: Float64Array) => {
      const { logits } = await model.forward!({
        inputs: { embeddings: { data, dims: embeddings.dims } },
        positions: [[position]],
      });
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += seeds[v]! * logits.data[v]!;
      return sum;
    };
    const h = 1e-6;
    let worst = 0;
    for (let i = 0; i < embeddings.data.length; i++) {
      const plus = Float64Array.from(embeddings.data);
      const minus = Float64Array.from(embeddings.data);
      plus[i]! += h;
      minus[i]! -= h;
      const numeric = ((await objectiveAt(plus)) - (await objectiveAt(minus))) / (2 * h);
      worst = Math.max(worst, Math.abs(numeric - gradients.data[i]!) / Math.max(1e-6, Math.abs(numeric)));
    }
    expect(worst).toBeLessThan(1e-6);
    // Causality: positions after the objective's position get exactly zero.
    const hidden = model.info.hiddenSize;
    expect([...gradients.data.subarray((position + 1) * hidden)].every((value) => value === 0)).toBe(true);
  });

  it("generates greedily and honours forced ids and aborts", async () => {
    const generated = await model.generate!([1, 5, 6], { maxNewTokens: 4 });
    expect(generated.ids).toHaveLength(4);
    const again = await model.generate!([1, 5, 6], { maxNewTokens: 4 });
    expect(again.ids).toEqual(generated.ids);
    const forced = await model.generate!([1], { maxNewTokens: 2, forcedIds: [7, 8] });
    expect(forced.ids).toEqual([7, 8]);
    const controller = new AbortController();
    controller.abort();
    await expect(model.generate!([1], { signal: controller.signal })).rejects.toMatchObject({
      code: "ABORTED",
    });
  });
});
