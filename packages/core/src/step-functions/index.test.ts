import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createRegistry } from "../registry/create-registry.ts";
import { builtinStepFunctions } from "./index.ts";

const folder = fileURLToPath(new URL(".", import.meta.url));
const sourceFiles = readdirSync(folder).filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"));

/** Inseq's step-function ids (inseq/attr/step_functions.py, STEP_SCORES_MAP), spelled exactly. */
const INSEQ_IDS = [
  "logit",
  "probability",
  "entropy",
  "crossentropy",
  "perplexity",
  "contrast_logits",
  "contrast_prob",
  "contrast_logits_diff",
  "contrast_prob_diff",
  "pcxmi",
  "kl_divergence",
  "in_context_pvi",
  "mc_dropout_prob_avg",
  "top_p_size",
];
/** Ours alone: Inseq spells it probability with logprob=True. */
const OWN_IDS = ["logprob"];
/** Not a pure function of one step's logits (needs dropout forward passes). */
const LEFT_OUT = ["mc_dropout_prob_avg"];

function looksLikeStepFunction(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { id?: unknown }).id === "string" &&
    typeof (value as { evaluate?: unknown }).evaluate === "function"
  );
}

describe("builtinStepFunctions", () => {
  it("has unique ids", () => {
    const ids = builtinStepFunctions.map((stepFunction) => stepFunction.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("lists every step function defined in this folder, and nothing from elsewhere", async () => {
    const definedHere = new Set<unknown>();
    for (const name of sourceFiles) {
      const module = (await import(`./${name}`)) as Record<string, unknown>;
      for (const [exportName, value] of Object.entries(module)) {
        if (name === "index.ts" || !looksLikeStepFunction(value)) continue;
        definedHere.add(value);
        expect(builtinStepFunctions, `${name} exports ${exportName}`).toContain(value);
      }
      // A file that types something as a StepFunction must export it (nothing defined but unlisted).
      const source = readFileSync(`${folder}/${name}`, "utf8");
      const declared = source.match(/export const \w+: StepFunction</g) ?? [];
      const exported = Object.values(module).filter(looksLikeStepFunction);
      if (name !== "index.ts") expect(exported.length, name).toBe(declared.length);
    }
    for (const stepFunction of builtinStepFunctions) expect(definedHere.has(stepFunction)).toBe(true);
    expect(definedHere.size).toBe(builtinStepFunctions.length);
  });

  it("spells ids as Inseq does, covering all of Inseq's except those that are not one-step functions", () => {
    const ids = builtinStepFunctions.map((stepFunction) => stepFunction.id).sort();
    for (const id of ids) expect([...INSEQ_IDS, ...OWN_IDS]).toContain(id);
    const expected = [...INSEQ_IDS.filter((id) => !LEFT_OUT.includes(id)), ...OWN_IDS].sort();
    expect(ids).toEqual(expected);
  });

  it("registers in a registry and documents id, unit and defaults", () => {
    const registry = createRegistry<(typeof builtinStepFunctions)[number]>("step function", "test");
    for (const stepFunction of builtinStepFunctions) {
      registry.register(stepFunction);
      expect(stepFunction.summary.length, stepFunction.id).toBeGreaterThan(10);
      expect(stepFunction.description, stepFunction.id).toContain(stepFunction.id);
      expect(stepFunction.unit.length).toBeGreaterThan(0);
      const defaults = stepFunction.parameters["~standard"].validate({}) as { issues?: unknown };
      expect(defaults.issues, stepFunction.id).toBeUndefined();
    }
    expect(registry.list().length).toBe(builtinStepFunctions.length);
  });

  it("marks only top_p_size as value-only", () => {
    expect(builtinStepFunctions.filter((entry) => !entry.differentiable).map((entry) => entry.id)).toEqual([
      "top_p_size",
    ]);
  });
});
