import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { checkGradient } from "../testing/gradient-check.ts";
import { OP_CASES } from "../testing/op-cases.ts";
import { ortSessionFactory } from "../testing/ort-session.ts";

// The same checker, over every rule's cases, on onnxruntime-web's wasm backend run from Node: the browser path.
ort.env.wasm.numThreads = 1;
const sessions = ortSessionFactory(ort as never);

describe("gradient rules on onnxruntime-web (wasm)", () => {
  for (const [opType, cases] of Object.entries(OP_CASES)) {
    for (const testCase of cases) {
      const limit = (testCase.dataType ?? "float64") === "float64" ? 1e-6 : 5e-3;
      it(`${opType}: ${testCase.name}`, async () => {
        const { maxError } = await checkGradient(testCase, sessions, { seeds: 2 });
        expect(maxError).toBeLessThanOrEqual(limit);
      });
    }
  }
});
