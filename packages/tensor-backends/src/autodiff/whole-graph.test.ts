import * as ort from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { checkModelGradient } from "./testing/model-check.ts";
import { ortSessionFactory } from "./testing/ort-session.ts";
import { seededRandom, uniformValues } from "./testing/random.ts";
import { TINY, tinyGpt2, tinyLlama } from "./testing/tiny-transformers.ts";

// ONNX Runtime's extended optimisations fuse x·Sigmoid(x) into com.microsoft.QuickGelu, which has no
// float64 kernel; basic optimisations keep the float64 graphs runnable.
const sessions = ortSessionFactory(ort as never, { graphOptimizationLevel: "basic" });

function embeddings(batch: number, sequence: number, seed: number) {
  const values = uniformValues(seededRandom(seed), batch * sequence * TINY.hidden);
  return {
    dataType: "float64" as const,
    dims: [batch, sequence, TINY.hidden],
    data: Float64Array.from(values),
  };
}

describe.each([
  ["GPT-2 style", tinyGpt2],
  ["Llama style", tinyLlama],
])("whole-graph gradients of a 2-layer %s model (float64)", (_, build) => {
  const tiny = build();

  it("gradient of one logit w.r.t. the embeddings and the layer-0 residual match finite differences", async () => {
    const result = await checkModelGradient(
      tiny.model,
      {
        of: [tiny.objective],
        wrt: [tiny.input, tiny.residuals[0]!],
        feeds: { [tiny.input]: embeddings(2, 4, 9) },
        seedValues: { [tiny.objective]: [1, 1] },
      },
      sessions,
    );
    expect(result.errors[tiny.input]).toBeLessThanOrEqual(1e-6);
    expect(result.errors[tiny.residuals[0]!]).toBeLessThanOrEqual(1e-6);
    // Causality: the last position's logit depends on every position, and the gradient is not trivially zero.
    const gradient = result.gradients[tiny.input]!.data as Float64Array;
    expect(Math.max(...Array.from(gradient, Math.abs))).toBeGreaterThan(1e-3);
  });

  it("gradient of all logits under a random seed matches finite differences at another sequence length", async () => {
    const result = await checkModelGradient(
      tiny.model,
      { of: [tiny.logits], wrt: [tiny.input], feeds: { [tiny.input]: embeddings(1, 3, 4) } },
      sessions,
    );
    expect(result.maxError).toBeLessThanOrEqual(1e-6);
  });

  it("gives earlier positions no gradient from a logit at position 0 (causal mask)", async () => {
    const result = await checkModelGradient(
      tiny.model,
      {
        of: [tiny.logits],
        wrt: [tiny.input],
        feeds: { [tiny.input]: embeddings(1, 3, 5) },
        seedValues: {
          [tiny.logits]: Array.from({ length: 3 * TINY.vocab }, (_, index) => (index < TINY.vocab ? 1 : 0)),
        },
      },
      sessions,
    );
    const gradient = result.gradients[tiny.input]!.data as Float64Array;
    expect(Array.from(gradient.subarray(TINY.hidden)).every((value) => value === 0)).toBe(true);
    expect(result.maxError).toBeLessThanOrEqual(1e-6);
  });
});

describe("whole-graph gradients on onnxruntime-web (wasm, from Node)", () => {
  it("match finite differences for the GPT-2 style model", async () => {
    ortWeb.env.wasm.numThreads = 1;
    const web = ortSessionFactory(ortWeb as never, { graphOptimizationLevel: "basic" });
    const tiny = tinyGpt2();
    const result = await checkModelGradient(
      tiny.model,
      {
        of: [tiny.objective],
        wrt: [tiny.input, tiny.residuals[0]!],
        feeds: { [tiny.input]: embeddings(2, 3, 12) },
      },
      web,
    );
    expect(result.maxError).toBeLessThanOrEqual(1e-6);
  });
});
