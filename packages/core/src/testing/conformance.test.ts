import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { AttributionMethod, MethodSequenceOutput } from "../methods/types.ts";
import { checkMethodConformance } from "./conformance.ts";
import { createToyModel } from "./toy-model.ts";

/** A correct gradient-norm method: L2 norm over the hidden axis of d logit(target) / d embedding. */
function gradientNormMethod(
  options: { leakFuture?: boolean; noisy?: boolean } = {},
): AttributionMethod<{ seed: number }> {
  let calls = 0;
  return {
    id: "test_gradient_norm",
    family: "gradient",
    summary: "test",
    description: "test",
    requires: ["embed", "gradients"],
    supports: { targetPrefix: true, contrastive: false, batching: true },
    parameters: z.object({ seed: z.number().default(0) }),
    async run({ model, sequences }) {
      calls++;
      const outputs: MethodSequenceOutput[] = [];
      for (const sequence of sequences) {
        const ids = [...sequence.source, ...sequence.target].map((token) => token.id!);
        const sourceLength = sequence.source.length;
        const steps = sequence.target.length;
        const source = new Float32Array(steps * sourceLength).fill(Number.NaN);
        const target = new Float32Array(steps * steps).fill(Number.NaN);
        for (const step of sequence.steps) {
          const position = sourceLength + step - 1;
          const vocab = model.info.vocabSize;
          const seeds = new Float64Array(vocab);
          seeds[ids[position + 1]!] = 1;
          const { gradients } = await model.gradients!({
            inputs: { ids: [ids] },
            objective: {
              kind: "logitSeeds",
              positions: [position],
              seeds: { data: seeds, dims: [1, vocab] },
            },
          });
          const hidden = gradients.dims[2]!;
          const norm = (t: number) => {
            let sum = 0;
            for (let k = 0; k < hidden; k++) sum += gradients.data[t * hidden + k]! ** 2;
            return Math.sqrt(sum) + (options.noisy ? calls * 1e-3 : 0);
          };
          for (let s = 0; s < sourceLength; s++) source[step * sourceLength + s] = norm(s);
          for (let u = 0; u < steps; u++) {
            if (u < step) target[step * steps + u] = norm(sourceLength + u);
            else if (options.leakFuture) target[step * steps + u] = 0.5;
          }
        }
        outputs.push({
          source: { dims: [steps, sourceLength, 1], data: source },
          target: { dims: [steps, steps, 1], data: target },
        });
      }
      return outputs;
    },
  };
}

describe("checkMethodConformance", () => {
  const model = createToyModel({ seed: 11 });

  it("passes a correct method on every check", async () => {
    const checks = await checkMethodConformance(gradientNormMethod(), { model });
    expect(checks.map((check) => check.name)).toEqual([
      "shapes",
      "finite",
      "batched-equals-single",
      "deterministic",
      "causal",
    ]);
    for (const check of checks) expect(check, check.message).toMatchObject({ passed: true });
  });

  it("catches a method that attributes to future target tokens", async () => {
    const checks = await checkMethodConformance(gradientNormMethod({ leakFuture: true }), { model });
    expect(checks.find((check) => check.name === "causal")).toMatchObject({ passed: false });
  });

  it("catches a method whose output changes from run to run", async () => {
    const checks = await checkMethodConformance(gradientNormMethod({ noisy: true }), { model });
    expect(checks.find((check) => check.name === "deterministic")).toMatchObject({ passed: false });
    expect(checks.find((check) => check.name === "batched-equals-single")).toMatchObject({ passed: false });
  });

  it("refuses a model without the capabilities the method needs", async () => {
    const limited = { ...model, capabilities: new Set(["tokenize"] as const) };
    await expect(checkMethodConformance(gradientNormMethod(), { model: limited })).rejects.toMatchObject({
      code: "MISSING_CAPABILITY",
    });
  });
});

describe("capability notes", () => {
  it("explain a missing capability in the error a method gets", async () => {
    const model = createToyModel({ seed: 11 });
    const limited = {
      ...model,
      capabilities: new Set(["tokenize"] as const),
      capabilityNotes: { embed: "this export fuses attention into com.microsoft.GroupQueryAttention" },
    };
    await expect(checkMethodConformance(gradientNormMethod(), { model: limited })).rejects.toThrow(
      /does not provide: this export fuses attention/,
    );
  });
});
