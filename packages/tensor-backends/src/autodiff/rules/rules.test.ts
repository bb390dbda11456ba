import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { checkGradient, type OpCase } from "../testing/gradient-check.ts";
import { OP_CASES } from "../testing/op-cases.ts";
import { ortSessionFactory } from "../testing/ort-session.ts";
import { gradientRules } from "./index.ts";

const sessions = ortSessionFactory(ort as never);

/** float64 cases must match finite differences to 1e-6; float32 ones (no float64 kernel) to 5e-3. */
function tolerance(testCase: OpCase): number {
  return (testCase.dataType ?? "float64") === "float64" ? 1e-6 : 5e-3;
}

describe("every gradient rule against central finite differences", () => {
  it("has at least one case per rule", () => {
    const missing = gradientRules
      .filter((rule) => (OP_CASES[rule.opType] ?? []).length === 0)
      .map((rule) => rule.opType);
    expect(missing).toEqual([]);
  });

  for (const [opType, cases] of Object.entries(OP_CASES)) {
    describe(opType, () => {
      for (const testCase of cases) {
        it(`${testCase.name}: static shapes`, async () => {
          const { maxError } = await checkGradient(testCase, sessions);
          expect(maxError).toBeLessThanOrEqual(tolerance(testCase));
        });
        it(`${testCase.name}: symbolic dims`, async () => {
          const { maxError } = await checkGradient({ ...testCase, symbolicDims: true }, sessions, {
            randomSeed: 11,
          });
          expect(maxError).toBeLessThanOrEqual(tolerance(testCase));
        });
        it(`${testCase.name}: 3 seeds at once`, async () => {
          const { maxError } = await checkGradient(testCase, sessions, { seeds: 3, randomSeed: 23 });
          expect(maxError).toBeLessThanOrEqual(tolerance(testCase));
        });
      }
    });
  }
});
