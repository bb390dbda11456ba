import { checkMethodConformance, createToyModel } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { methods } from "./index.ts";

const model = createToyModel();

// Small but real settings, so that every check runs on every method in seconds.
const parametersById: Record<string, Record<string, unknown>> = {
  lime: { n_samples: 60, seed: 3 },
  shapley_value_sampling: { n_samples: 8, seed: 3 },
  kernel_shap: { samples: 40, seed: 3 },
  reagent: { max_probe_steps: 40, num_probes: 4, seed: 3 },
  shapley_values: { features: "word" },
};

describe("conformance", () => {
  // The toy model has no taps or interventions; methods that need them are checked on stories260K.
  for (const method of methods.filter((m) =>
    m.requires.every((capability) => model.capabilities.has(capability)),
  )) {
    it(`${method.id} passes every conformance check on the toy model`, async () => {
      const checks = await checkMethodConformance(method, {
        model,
        parameters: parametersById[method.id] ?? {},
      });
      expect(checks.map((check) => check.name)).toEqual([
        "shapes",
        "finite",
        "batched-equals-single",
        "deterministic",
        "causal",
      ]);
      for (const check of checks) expect(check, check.message).toMatchObject({ passed: true });
    });
  }

  for (const baseline of ["zero", "unk", "mean", "removal"]) {
    it(`occlusion with baseline "${baseline}" passes every check`, async () => {
      const occlusion = methods.find((method) => method.id === "occlusion")!;
      const checks = await checkMethodConformance(occlusion, { model, parameters: { baseline } });
      expect(checks.every((check) => check.passed)).toBe(true);
    });
  }

  for (const sampler of ["model", "pos"]) {
    it(`reagent with sampler "${sampler}" passes every check`, async () => {
      const reagent = methods.find((method) => method.id === "reagent")!;
      const checks = await checkMethodConformance(reagent, {
        model,
        parameters: { sampler, max_probe_steps: 20, num_probes: 4, seed: 5 },
      });
      expect(checks.every((check) => check.passed)).toBe(true);
    });
  }
});
