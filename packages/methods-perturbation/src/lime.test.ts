import { type ForwardRequest, parseParameters } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { Matrix, solve } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { lime } from "./lime.ts";
import { contextFor, createIndicatorModel, indicatorSequence, toySequence } from "./models.test-helpers.ts";
import { cosineDistanceToOriginal, limeKernel } from "./plans/lime.ts";

// f = 0.5 + Σ w_s z_s exactly (logit of the indicator model, unk = absent); BOS (weight 0) is never absent.
const weights = [0, 1.2, -0.7, 2.5, 0.3, -1.6, 0.9];
const model = createIndicatorModel({ weights, bias: 0.5 });
const sequence = indicatorSequence([3, 4, 6, 7, 8, 9], [5]);

async function limeRow(parameters: Record<string, unknown>) {
  const [output] = await lime.run(
    contextFor(model, [sequence], {
      parameters: { baseline: "unk", ...parameters },
      attributedFunction: { id: "logit", parameters: {} },
    }),
  );
  return output!;
}

describe("lime defaults (Inseq's)", () => {
  it("are 50 samples, mask probability 0.3, the unk baseline and ridge alpha 1", () => {
    expect(parseParameters(lime.parameters, {}, "lime")).toMatchObject({
      n_samples: 50,
      mask_probability: 0.3,
      baseline: "unk",
      alpha: 1,
      kernel_width: null,
      features: "token",
      include_special: false,
    });
    for (const difference of ["numeric UNK id", "count of embedding elements", "binary presence vector"])
      expect(lime.description).toContain(difference);
  });

  it("fit a ridge (alpha 1) on 50 samples that replace ~30% of the tokens by UNK, recomputed here", async () => {
    const rows: number[][] = [];
    const recording = {
      ...model,
      forward: async (request: ForwardRequest) => {
        if ("ids" in request.inputs) rows.push(...request.inputs.ids);
        return model.forward!(request);
      },
    };
    const [output] = await lime.run(
      contextFor(recording, [sequence], { attributedFunction: { id: "logit", parameters: {} } }),
    );
    const original = sequence.source.map((t) => t.id!); // the one step's input: BOS and the source
    expect(rows).toHaveLength(50);
    expect(rows[0]).toEqual(original);
    let masked = 0;
    for (const row of rows) {
      expect(row[0]).toBe(original[0]); // BOS is never absent by default
      row.forEach((id, position) => {
        if (id !== original[position]) {
          expect(id).toBe(0); // the indicator model's UNK
          masked++;
        }
      });
    }
    const rate = masked / (49 * (original.length - 1));
    expect(rate).toBeGreaterThan(0.2);
    expect(rate).toBeLessThan(0.4);
    // LIME by definition, independently of the method's code: presence vectors z, f = the model's logit,
    // kernel weights, then (XᵀWX + diag(0, α, …, α)) θ = XᵀWy with X = [1, z] and α = 1.
    const features = original.length - 1;
    const design = rows.map((row) => [1, ...row.slice(1).map((id) => (id === 0 ? 0 : 1))]);
    const targets = design.map((x) => 0.5 + x.slice(1).reduce((sum, z, j) => sum + z * weights[j + 1]!, 0));
    const kernel = design.map((x) => {
      const present = x.slice(1).reduce((a, b) => a + b, 0);
      const distance = present === 0 ? 1 : 1 - Math.sqrt(present / features);
      return Math.sqrt(Math.exp(-(distance ** 2) / (0.25 * Math.sqrt(features)) ** 2));
    });
    const X = new Matrix(design);
    const W = Matrix.diag(kernel);
    const penalty = Matrix.diag([0, ...new Array<number>(features).fill(1)]);
    const lhs = X.transpose().mmul(W).mmul(X).add(penalty);
    const rhs = X.transpose().mmul(W).mmul(Matrix.columnVector(targets));
    const theta = solve(lhs, rhs).getColumn(0);
    expect(output!.source.data[0]).toBe(0);
    for (let j = 1; j <= features; j++) expect(output!.source.data[j]).toBeCloseTo(theta[j]!, 9);
    expect((output!.extras as Record<string, number[]>)["lime_intercept"]![0]).toBeCloseTo(theta[0]!, 9);
  });
});

describe("lime", () => {
  it("recovers the weights of a linear model exactly without ridge penalty (alpha 0, 1e-9)", async () => {
    const output = await limeRow({ alpha: 0 });
    Array.from(output.source.data).forEach((value, s) => {
      expect(value).toBeCloseTo(weights[s]!, 9);
    });
    const extras = output.extras as Record<string, number[]>;
    expect(extras["lime_intercept"]![0]).toBeCloseTo(0.5, 9);
    expect(extras["lime_score"]![0]).toBeCloseTo(1, 9);
  });

  it("recovers them within 5% (relative) with 200 samples, mask 0.5, alpha 1", async () => {
    const output = await limeRow({ n_samples: 200, mask_probability: 0.5, alpha: 1 });
    const recovered = Array.from(output.source.data).slice(1);
    recovered.forEach((value, index) => {
      const weight = weights[index + 1]!;
      expect(Math.abs(value - weight)).toBeLessThan(0.05 * Math.abs(weight));
      // The ridge penalty only shrinks towards zero.
      expect(Math.abs(value)).toBeLessThan(Math.abs(weight));
    });
  });

  it("keeps extras plain JSON: null for steps not attributed", async () => {
    const twoSteps = indicatorSequence([3, 4], [5, 6]);
    twoSteps.steps = [1];
    const [output] = await lime.run(
      contextFor(model, [twoSteps], {
        parameters: { baseline: "unk", n_samples: 20 },
        attributedFunction: { id: "logit", parameters: {} },
      }),
    );
    const extras = output!.extras as Record<string, (number | null)[]>;
    expect(extras["lime_intercept"]![0]).toBeNull();
    expect(extras["lime_intercept"]![1]).toEqual(expect.any(Number));
    expect(JSON.parse(JSON.stringify(extras))).toEqual(extras);
  });

  it("is reproducible with a seed and changes with it", async () => {
    const toy = createToyModel();
    const toyCase = await toySequence(toy, "the cat", " sat");
    const run = async (seed: number) =>
      Array.from(
        (await lime.run(contextFor(toy, [toyCase], { parameters: { seed, n_samples: 50 } })))[0]!.source.data,
      );
    expect(await run(7)).toEqual(await run(7));
    expect(await run(7)).not.toEqual(await run(8));
  });

  it("gives every token of a word the word's coefficient", async () => {
    const toy = createToyModel();
    const toyCase = await toySequence(toy, "big cat", "!");
    const [output] = await lime.run(
      contextFor(toy, [toyCase], { parameters: { features: "word", n_samples: 40 } }),
    );
    const row = Array.from(output!.source.data);
    expect(row[1]).toBe(row[2]);
    expect(row[2]).toBe(row[3]);
    expect(row[5]).toBe(row[6]);
    expect(row[6]).toBe(row[7]);
    expect(row[3]).not.toBe(row[5]);
  });

  it("weights samples by LIME's text kernel of the cosine distance to the original", () => {
    expect(cosineDistanceToOriginal([1, 1, 1, 1])).toBe(0);
    expect(cosineDistanceToOriginal([1, 0, 0, 0])).toBeCloseTo(0.5, 15); // 1 − sqrt(1/4)
    expect(cosineDistanceToOriginal([0, 0, 0])).toBe(1);
    // LIME for text: sqrt(exp(−(100 D)² / 25²)) — the same as width 0.25 on the [0, 1] scale.
    const distance = 0.3;
    expect(limeKernel(distance, 0.25)).toBeCloseTo(
      Math.sqrt(Math.exp(-((100 * distance) ** 2) / 25 ** 2)),
      15,
    );
  });
});
