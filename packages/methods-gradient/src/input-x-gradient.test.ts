import { createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { inputXGradient } from "./input-x-gradient.ts";
import {
  finiteDifferenceGradient,
  inputEmbeddings,
  rawRow,
  registerAll,
  runMethod,
  sequenceOf,
} from "./testing.test-helpers.ts";

beforeAll(registerAll);

describe("input_x_gradient", () => {
  it("equals the input embedding times the finite-difference gradient, signed", async () => {
    const model = createToyModel({ seed: 13 });
    const sequence = await sequenceOf(model, "hello", " you");
    const output = await runMethod(inputXGradient, model, sequence, { attributeTarget: true });
    const embeddings = await inputEmbeddings(model, sequence);
    const hidden = model.info.hiddenSize;
    const sources = sequence.source.length;
    for (const t of [0, 2]) {
      const reference = await finiteDifferenceGradient(model, sequence, t);
      const row = rawRow(output.source, t);
      let scale = 0;
      for (let i = 0; i < sources * hidden; i++)
        scale = Math.max(scale, Math.abs(embeddings[i]! * reference[i]!));
      for (let i = 0; i < sources * hidden; i++) {
        expect(Math.abs(row[i]! - embeddings[i]! * reference[i]!)).toBeLessThanOrEqual(1e-4 * scale);
      }
      const prefix = rawRow(output.target!, t);
      for (let u = 0; u < t; u++) {
        for (let d = 0; d < hidden; d++) {
          const i = (sources + u) * hidden + d;
          expect(Math.abs(prefix[u * hidden + d]! - embeddings[i]! * reference[i]!)).toBeLessThanOrEqual(
            1e-4 * scale,
          );
        }
      }
    }
  });
});
