import { stepPosition } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { integratedGradients } from "./integrated-gradients.ts";
import { sequentialIntegratedGradients } from "./sequential-integrated-gradients.ts";
import {
  inputEmbeddings,
  objectiveAt,
  rawRow,
  registerAll,
  runMethod,
  sequenceOf,
} from "./testing.test-helpers.ts";

beforeAll(registerAll);

describe("sequential_integrated_gradients", () => {
  for (const seed of [7, 21]) {
    for (const baseline of ["unk", "zero"]) {
      it(`is complete per position: Σ_d attributions of i = f(x) − f(x with x_i = x′_i) (${baseline}, seed ${seed})`, async () => {
        const model = createToyModel({ seed });
        const sequence = await sequenceOf(model, "the cat", " sat");
        const output = await runMethod(sequentialIntegratedGradients, model, sequence, {
          parameters: { n_steps: 32, baseline },
          attributeTarget: true,
        });
        const hidden = model.info.hiddenSize;
        const input = await inputEmbeddings(model, sequence);
        const seq = input.length / hidden;
        const unk = model.info.specialTokens.unk!;
        const baselineRow =
          baseline === "zero"
            ? new Float64Array(hidden)
            : Float64Array.from((await model.embed!([[unk]])).data);
        const sources = sequence.source.length;
        const positionDeltas = output.extras!["positionDeltas"] as (number | null)[][];
        for (const t of sequence.steps) {
          const clean = await objectiveAt(model, sequence, t, input);
          for (let i = 0; i < seq; i++) {
            const cells =
              i < sources
                ? rawRow(output.source, t).subarray(i * hidden, (i + 1) * hidden)
                : rawRow(output.target!, t).subarray((i - sources) * hidden, (i - sources + 1) * hidden);
            if (i > stepPosition(sequence, t)) {
              // Later positions: target-prefix cells stay empty (causality).
              expect(cells.every(Number.isNaN)).toBe(true);
              continue;
            }
            const ablated = Float64Array.from(input);
            ablated.set(baselineRow, i * hidden);
            const change = clean - (await objectiveAt(model, sequence, t, ablated));
            let total = 0;
            for (const value of cells) total += value;
            expect(Math.abs(total - change)).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(change), 1e-6));
            expect(positionDeltas[t]![i]).toBeCloseTo(total - change, 12);
          }
        }
      });
    }
  }

  it("on a one-token input equals integrated gradients (the only position is the whole path)", async () => {
    const model = createToyModel({ seed: 7 });
    const sequence = { ...(await sequenceOf(model, "", "a")), steps: [0] };
    expect(sequence.source).toHaveLength(1);
    const parameters = { n_steps: 16 };
    const sig = await runMethod(sequentialIntegratedGradients, model, sequence, { parameters });
    const ig = await runMethod(integratedGradients, model, sequence, { parameters });
    sig.source.data.forEach((value, i) => {
      expect(value).toBeCloseTo(ig.source.data[i]!, 12);
    });
  });
});
