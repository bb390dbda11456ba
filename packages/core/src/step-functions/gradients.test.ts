import { describe, expect, it } from "vitest";
import { seededUniform } from "../random/seeded-random.ts";
import { builtinStepFunctions } from "./index.ts";
import { keptTokenIndices } from "./token-filtering.ts";
import type { StepFunction, StepFunctionInput } from "./types.ts";

// A tiny seeded generator (mulberry32) with Box–Muller normals: deterministic logits, no dependency.
function seededNormals(seed: number) {
  const uniform = seededUniform(seed);
  return (count: number, scale: number) =>
    Float64Array.from(
      { length: count },
      () => scale * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
    );
}

// biome-ignore lint/suspicious/noExplicitAny: built-ins have different parameter types
type AnyStepFunction = StepFunction<any>;
type Input = StepFunctionInput<Record<string, unknown>, Float64Array>;

interface Scenario {
  name: string;
  parameters: Record<string, unknown>;
  withContrastLogits: boolean;
  withContrastTarget: boolean;
}

/** The parameter settings worth checking per function (every branch of each derivative). */
function parameterVariants(stepFunction: AnyStepFunction): Record<string, unknown>[] {
  switch (stepFunction.id) {
    case "probability":
    case "contrast_prob":
    case "contrast_prob_diff":
      return [{ logprob: false }, { logprob: true }];
    case "kl_divergence":
      return [
        { top_k: 0, top_p: 1, min_tokens_to_keep: 1 },
        { top_k: 3, top_p: 1, min_tokens_to_keep: 1 },
        { top_k: 0, top_p: 0.7, min_tokens_to_keep: 1 },
        { top_k: 3, top_p: 0.7, min_tokens_to_keep: 1 },
        { top_k: 0, top_p: 0.05, min_tokens_to_keep: 4 },
      ];
    default:
      return [{}];
  }
}

function scenarios(stepFunction: AnyStepFunction): Scenario[] {
  const contrastModes =
    stepFunction.contrast === "input"
      ? [
          { logits: true, target: false },
          { logits: true, target: true },
        ]
      : stepFunction.contrast === "either"
        ? [
            { logits: false, target: false },
            { logits: false, target: true },
            { logits: true, target: false },
            { logits: true, target: true },
          ]
        : [
            { logits: false, target: false },
            // A non-contrastive function ignores contrast logits: their gradient must not appear.
            { logits: true, target: false },
          ];
  return parameterVariants(stepFunction).flatMap((parameters) =>
    contrastModes.map((mode) => ({
      name: `${JSON.stringify(parameters)} contrastLogits=${mode.logits} contrastTarget=${mode.target}`,
      parameters,
      withContrastLogits: mode.logits,
      withContrastTarget: mode.target,
    })),
  );
}

// Fourth-order central differences: f'(x) ≈ [8(f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))] / 12h. The plain
// two-point stencil at h = 1e-6 carries a rounding error of about eps·|f|/h ≈ 2e-9 for values near 10
// (pcxmi in bits, perplexity), above the 1e-9 floor; this stencil at h = 1e-4 has truncation error
// O(h⁴) ≈ 1e-16 and rounding error ≈ 1e-11, so the 1e-6 relative tolerance is a real test.
const STEP = 1e-4;
const RELATIVE_TOLERANCE = 1e-6;
const ABSOLUTE_TOLERANCE = 1e-9;

function shifted(point: Float64Array, index: number, offset: number): Float64Array {
  const moved = Float64Array.from(point);
  moved[index]! += offset;
  return moved;
}

/** First violation of "relative error ≤ 1e-6, or absolute error ≤ 1e-9 for a component ~0". */
function worstMismatch(
  evaluateValue: (perturbed: Float64Array) => number,
  point: Float64Array,
  analytic: Float64Array,
): { index: number; analytic: number; numeric: number } | undefined {
  for (let i = 0; i < point.length; i++) {
    const near = evaluateValue(shifted(point, i, STEP)) - evaluateValue(shifted(point, i, -STEP));
    const far = evaluateValue(shifted(point, i, 2 * STEP)) - evaluateValue(shifted(point, i, -2 * STEP));
    const numeric = (8 * near - far) / (12 * STEP);
    const error = Math.abs(analytic[i]! - numeric);
    const relative = error / Math.max(1e-8, Math.abs(numeric));
    if (relative > RELATIVE_TOLERANCE && error > ABSOLUTE_TOLERANCE) {
      return { index: i, analytic: analytic[i]!, numeric };
    }
  }
  return undefined;
}

const differentiable = builtinStepFunctions.filter((stepFunction) => stepFunction.differentiable);

describe("analytic gradients match central finite differences (float64)", () => {
  for (const stepFunction of differentiable) {
    for (const vocabularySize of [7, 50]) {
      for (const scenario of scenarios(stepFunction)) {
        it(`${stepFunction.id}, vocab ${vocabularySize}, ${scenario.name}`, () => {
          const normals = seededNormals(vocabularySize * 7919 + stepFunction.id.length);
          for (const targetId of [0, vocabularySize - 1, Math.floor(vocabularySize / 2)]) {
            const logits = normals(vocabularySize, 2);
            const contrastLogits = scenario.withContrastLogits ? normals(vocabularySize, 2) : undefined;
            const contrastTargetId = scenario.withContrastTarget
              ? (targetId + 3) % vocabularySize
              : undefined;
            const inputAt = (point: Float64Array, contrastPoint?: Float64Array): Input => ({
              logits: point,
              targetId,
              contrastLogits: contrastPoint,
              contrastTargetId,
              parameters: scenario.parameters,
            });
            const output = stepFunction.evaluate(inputAt(logits, contrastLogits), true);
            expect(Number.isFinite(output.value)).toBe(true);
            expect(output.gradLogits).toBeInstanceOf(Float64Array);
            expect(output.gradLogits!.length).toBe(vocabularySize);

            if (stepFunction.id === "kl_divergence") {
              // The kept set is piecewise constant: make sure no perturbation crosses a boundary.
              const filter = {
                topK: scenario.parameters.top_k as number,
                topP: scenario.parameters.top_p as number,
                minTokensToKeep: scenario.parameters.min_tokens_to_keep as number,
              };
              const kept = keptTokenIndices(logits, filter);
              const filtering = filter.topK > 0 || filter.topP < 1;
              // A filtered case must really drop tokens, or it would only repeat the unfiltered check.
              if (filtering) expect(kept!.length).toBeLessThan(vocabularySize);
              else expect(kept).toBeUndefined();
              for (let i = 0; i < vocabularySize; i++) {
                for (const offset of [STEP, -STEP, 2 * STEP, -2 * STEP]) {
                  expect(keptTokenIndices(shifted(logits, i, offset), filter)).toEqual(kept);
                }
              }
            }

            const mismatch = worstMismatch(
              (point) => stepFunction.evaluate(inputAt(point, contrastLogits), false).value,
              logits,
              output.gradLogits!,
            );
            expect(mismatch, `logits, target ${targetId}`).toBeUndefined();

            const readsContrastLogits = contrastLogits !== undefined && stepFunction.contrast !== undefined;
            if (!readsContrastLogits) {
              expect(output.gradContrastLogits).toBeUndefined();
              continue;
            }
            expect(output.gradContrastLogits).toBeInstanceOf(Float64Array);
            const contrastMismatch = worstMismatch(
              (point) => stepFunction.evaluate(inputAt(logits, point), false).value,
              contrastLogits!,
              output.gradContrastLogits!,
            );
            expect(contrastMismatch, `contrast logits, target ${targetId}`).toBeUndefined();
          }
        });
      }
    }
  }
});

describe("float32 logits", () => {
  for (const stepFunction of differentiable) {
    for (const scenario of scenarios(stepFunction)) {
      it(`${stepFunction.id}, ${scenario.name}: Float32Array gradients within 1e-5 of float64`, () => {
        const normals = seededNormals(4242);
        const vocabularySize = 50;
        const logits32 = Float32Array.from(normals(vocabularySize, 2));
        const contrast32 = scenario.withContrastLogits
          ? Float32Array.from(normals(vocabularySize, 2))
          : undefined;
        // The same (float32-representable) numbers in float64: only the output rounding may differ.
        const logits64 = Float64Array.from(logits32);
        const contrast64 = contrast32 ? Float64Array.from(contrast32) : undefined;
        const common = {
          targetId: 5,
          contrastTargetId: scenario.withContrastTarget ? 11 : undefined,
          parameters: scenario.parameters,
        };
        const out32 = stepFunction.evaluate(
          { ...common, logits: logits32, contrastLogits: contrast32 },
          true,
        );
        const out64 = stepFunction.evaluate(
          { ...common, logits: logits64, contrastLogits: contrast64 },
          true,
        );
        expect(out32.value).toBe(out64.value);
        const pairs: [unknown, Float64Array | undefined][] = [[out32.gradLogits, out64.gradLogits]];
        if (out64.gradContrastLogits) pairs.push([out32.gradContrastLogits, out64.gradContrastLogits]);
        else expect(out32.gradContrastLogits).toBeUndefined();
        for (const [gradient32, gradient64] of pairs) {
          expect(gradient32).toBeInstanceOf(Float32Array);
          const single = gradient32 as Float32Array;
          expect(single.length).toBe(vocabularySize);
          for (let i = 0; i < vocabularySize; i++) {
            const error = Math.abs(single[i]! - gradient64![i]!);
            expect(error).toBeLessThanOrEqual(1e-5 * Math.max(Math.abs(gradient64![i]!), 1e-30));
          }
        }
      });
    }
  }
});

describe("numerical stability with logits of ±1000", () => {
  const vocabularySize = 9;
  const extreme = (type: "f32" | "f64", flip: boolean) => {
    const values = Array.from({ length: vocabularySize }, (_, i): number =>
      (i % 2 === 0) !== flip ? 1000 : -1000,
    );
    values[3] = 0.5;
    return type === "f32" ? Float32Array.from(values) : Float64Array.from(values);
  };
  for (const stepFunction of builtinStepFunctions) {
    for (const type of ["f32", "f64"] as const) {
      // Target 0 has logit +1000; target 1 has −1000 (probability underflows to 0).
      for (const targetId of [0, 1]) {
        it(`${stepFunction.id}, ${type}, target logit ${targetId === 0 ? "+1000" : "−1000"}`, () => {
          const input = {
            logits: extreme(type, false),
            targetId,
            contrastLogits: extreme(type, true),
            contrastTargetId: 2,
            parameters: {},
          };
          const parsed = stepFunction.parameters["~standard"].validate({}) as { value: unknown };
          const output = stepFunction.evaluate(
            { ...input, parameters: parsed.value },
            stepFunction.differentiable,
          );
          if (stepFunction.id === "perplexity" && targetId === 1) {
            // exp(2000 nats) genuinely exceeds float64: the documented overflow, not an instability.
            expect(output.value).toBe(Number.POSITIVE_INFINITY);
            return;
          }
          expect(Number.isFinite(output.value)).toBe(true);
          for (const gradient of [output.gradLogits, output.gradContrastLogits]) {
            if (gradient) expect(Array.from(gradient).every(Number.isFinite)).toBe(true);
          }
          if (stepFunction.differentiable) expect(output.gradLogits).toBeDefined();
        });
      }
    }
  }

  it("keeps log-space values exact where probabilities underflow", () => {
    const logits = Float64Array.from([1000, -1000, 0]);
    const logprob = builtinStepFunctions.find((entry) => entry.id === "logprob")!;
    expect(logprob.evaluate({ logits, targetId: 1, parameters: {} }, false).value).toBeCloseTo(-2000, 9);
    const pcxmi = builtinStepFunctions.find((entry) => entry.id === "pcxmi")!;
    const contrastLogits = Float64Array.from([-1000, 1000, 0]);
    // −log2(p/q) = (−(−2000) + 0) / ln 2 nats → bits.
    expect(pcxmi.evaluate({ logits, targetId: 1, contrastLogits, parameters: {} }, false).value).toBeCloseTo(
      2000 / Math.LN2,
      6,
    );
  });
});
