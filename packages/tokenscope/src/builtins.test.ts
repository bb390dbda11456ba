import { listAggregators, listStepFunctions, methodRegistry, stepFunctionRegistry } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { registerBuiltins } from "./builtins.ts";

describe("registerBuiltins", () => {
  it("registers core's step functions and aggregators, idempotently", () => {
    registerBuiltins();
    const stepFunctions = listStepFunctions().map((stepFunction) => stepFunction.id);
    expect(stepFunctions).toEqual(
      expect.arrayContaining(["probability", "logprob", "entropy", "top_p_size"]),
    );
    expect(listAggregators().map((aggregator) => aggregator.id)).toEqual(
      expect.arrayContaining(["l2", "normalize"]),
    );
    const before = listStepFunctions().length;
    registerBuiltins();
    expect(listStepFunctions()).toHaveLength(before);
  });

  it("registers the attention methods and value zeroing beside the other method packages", () => {
    registerBuiltins();
    for (const id of [
      "attention",
      "attention_rollout",
      "attention_last",
      "attention_summary",
      "value_zeroing",
      "saliency",
      "occlusion",
    ]) {
      expect(methodRegistry.has(id), id).toBe(true);
    }
  });

  it("keeps a user's own definition under a built-in id", () => {
    const custom = { ...stepFunctionRegistry.get("probability"), summary: "mine" };
    stepFunctionRegistry.register(custom, { overwrite: true });
    registerBuiltins();
    expect(stepFunctionRegistry.get("probability").summary).toBe("mine");
  });
});
