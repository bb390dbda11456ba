import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ErrorCode } from "../errors/index.ts";
import type { Capability } from "../model/capabilities.ts";
import { registerCoreBuiltins } from "../register-core-builtins.ts";
import { methodRegistry, registerMethod } from "../registry/registries.ts";
import { createToyModel } from "../testing/toy-model.ts";
import { attribute } from "./attribute.ts";
import { createEchoMethod } from "./test-method.test-helpers.ts";
import type { AttributeOptions } from "./types.ts";

const { method } = createEchoMethod();
const gradientEcho = {
  ...method,
  id: "test_echo_gradient",
  family: "gradient",
  requires: ["gradients"] as const,
};
const model = createToyModel({ seed: 3, contextLength: 16 });

beforeAll(() => {
  registerCoreBuiltins();
  registerMethod(method);
  registerMethod(gradientEcho);
});
afterAll(() => {
  methodRegistry.unregister(method.id);
  methodRegistry.unregister(gradientEcho.id);
});

async function failure(input: string | string[], options: AttributeOptions, onModel = model) {
  try {
    await attribute(onModel, input, { method: "test_echo", ...options });
  } catch (error) {
    return error as { code: ErrorCode; message: string; hint?: string };
  }
  throw new Error("expected attribute() to throw");
}

describe("attribute errors", () => {
  it("refuses empty prompts and empty prompt lists", async () => {
    expect(await failure("", { target: "a" })).toMatchObject({
      code: "INVALID_INPUT",
      message: /Prompt 0 is empty/,
    });
    expect(await failure(["ok", "  "], { target: "a" })).toMatchObject({
      code: "INVALID_INPUT",
      message: /Prompt 1 is empty \(whitespace only\)/,
    });
    expect(await failure([], { target: "a" })).toMatchObject({ code: "INVALID_INPUT", message: /No prompt/ });
  });

  it("refuses a prompt that cannot fit with its new tokens, naming both numbers", async () => {
    // 1 BOS + 10 characters = 11 prompt tokens; 11 + 8 > 16.
    const error = await failure("abcdefghij", { generation: { maxNewTokens: 8 } });
    expect(error.code).toBe("PROMPT_TOO_LONG");
    expect(error.message).toContain("11 tokens");
    expect(error.message).toContain("8 new tokens");
    expect(error.message).toContain("context length 16");
    expect(await failure("abcdefghij", { target: "abcdef" })).toMatchObject({
      code: "PROMPT_TOO_LONG",
      message: /11 tokens and 6 target tokens/,
    });
    expect(
      await failure("abcdefghij", { targetPrefix: "ab", generation: { maxNewTokens: 4 } }),
    ).toMatchObject({
      code: "PROMPT_TOO_LONG",
      message: /prefix plus new tokens \(2 \+ 4\)/,
    });
  });

  it("refuses targets and prefixes that tokenize to nothing, and mismatched target lists", async () => {
    expect(await failure("abc", { target: "" })).toMatchObject({
      code: "INVALID_INPUT",
      message: /target .* tokenizes to nothing/,
    });
    expect(await failure("abc", { targetPrefix: "" })).toMatchObject({
      code: "INVALID_INPUT",
      message: /targetPrefix/,
    });
    expect(await failure(["abc", "de"], { target: ["x"] })).toMatchObject({
      code: "INVALID_INPUT",
      message: /2 prompts but 1/,
    });
    expect(await failure("abc", { target: "x", targetPrefix: "y" })).toMatchObject({ code: "INVALID_INPUT" });
  });

  it("names unknown methods and step functions", async () => {
    expect(await failure("abc", { method: "salency", target: "x" })).toMatchObject({
      code: "UNKNOWN_ID",
      message: /"salency"/,
    });
    expect(await failure("abc", { attributedFunction: "probabilty", target: "x" })).toMatchObject({
      code: "UNKNOWN_ID",
    });
    expect(await failure("abc", { stepScores: ["entropi"], target: "x" })).toMatchObject({
      code: "UNKNOWN_ID",
    });
    expect(await failure("abc", { aggregate: ["l3"], target: "x" })).toMatchObject({ code: "UNKNOWN_ID" });
  });

  it("refuses bad parameters of the method, step functions, aggregators, generation and range", async () => {
    expect(await failure("abc", { parameters: { dims: 0 }, target: "x" })).toMatchObject({
      code: "INVALID_PARAMETERS",
      message: /dims/,
    });
    expect(await failure("abc", { parameters: { extra: 1 }, target: "x" })).toMatchObject({
      code: "INVALID_PARAMETERS",
    });
    expect(
      await failure("abc", {
        attributedFunction: { id: "probability", parameters: { logprob: "yes" } },
        target: "x",
      }),
    ).toMatchObject({ code: "INVALID_PARAMETERS" });
    expect(
      await failure("abc", { aggregate: [{ id: "sparsify", parameters: { topK: -1 } }], target: "x" }),
    ).toMatchObject({
      code: "INVALID_PARAMETERS",
    });
    expect(await failure("abc", { generation: { maxNewTokens: 0 } })).toMatchObject({
      code: "INVALID_PARAMETERS",
      message: /maxNewTokens/,
    });
    expect(await failure("abc", { generation: { topP: 2 } })).toMatchObject({
      code: "INVALID_PARAMETERS",
      message: /topP/,
    });
    expect(await failure("abc", { target: "x", steps: { start: 2, end: 2 } })).toMatchObject({
      code: "INVALID_INPUT",
    });
    expect(await failure("abc", { target: "x", steps: { start: -1 } })).toMatchObject({
      code: "INVALID_INPUT",
    });
    expect(await failure("abc", { target: "xy", steps: { start: 2 } })).toMatchObject({
      code: "INVALID_INPUT",
      message: /only 2 target tokens/,
    });
    expect(await failure("abc", { target: "x", stepScores: ["entropy", "entropy"] })).toMatchObject({
      code: "INVALID_INPUT",
    });
  });

  it("refuses a value-only attributed function under a gradient method, not as a step score", async () => {
    expect(
      await failure("abc", { method: gradientEcho.id, attributedFunction: "top_p_size", target: "x" }),
    ).toMatchObject({
      code: "NOT_DIFFERENTIABLE",
    });
    const result = await attribute(model, "abc", {
      method: gradientEcho.id,
      stepScores: ["top_p_size"],
      target: "x",
    });
    expect(result.sequences[0]!.stepScores["top_p_size"]![0]).toBeGreaterThanOrEqual(1);
  });

  it("refuses every contrastive step function without a contrast, naming the missing options, instead of silent zeros", async () => {
    const contrastive = [
      "contrast_prob",
      "contrast_logits",
      "contrast_prob_diff",
      "contrast_logits_diff",
      "kl_divergence",
      "pcxmi",
      "in_context_pvi",
    ];
    for (const id of contrastive) {
      const attributed = await failure("abc", { attributedFunction: id, target: "x" });
      expect(attributed).toMatchObject({
        code: "INVALID_INPUT",
        message: new RegExp(`"${id}".*none was given: pass contrastTargets or contrastSources`),
      });
      expect(attributed.hint).toMatch(/--contrast-(target|source)/);
      expect(await failure("abc", { stepScores: [id], target: "x" })).toMatchObject({
        code: "INVALID_INPUT",
        message: new RegExp(`Step score "${id}"`),
      });
    }
  });

  it("names a missing capability", async () => {
    const without = (drop: Capability) => ({
      ...model,
      capabilities: new Set([...model.capabilities].filter((capability) => capability !== drop)),
    });
    expect(
      await failure("abc", { method: gradientEcho.id, target: "x" }, without("gradients")),
    ).toMatchObject({
      code: "MISSING_CAPABILITY",
      message: /"gradients"/,
    });
    expect(await failure("abc", { chatTemplate: true, target: "x" })).toMatchObject({
      code: "MISSING_CAPABILITY",
      message: /"chatTemplate"/,
    });
    expect(await failure("abc", { generation: { maxNewTokens: 2 } }, without("generate"))).toMatchObject({
      code: "MISSING_CAPABILITY",
      message: /"generate"/,
    });
    expect(await failure("abc", { stepScores: ["entropy"], target: "x" }, without("forward"))).toMatchObject({
      code: "MISSING_CAPABILITY",
      message: /"forward"/,
    });
  });

  it("refuses target-prefix attribution from a method that does not support it", async () => {
    const noPrefix = {
      ...method,
      id: "test_echo_no_prefix",
      supports: { ...method.supports, targetPrefix: false },
    };
    registerMethod(noPrefix);
    expect(await failure("abc", { method: noPrefix.id, target: "x", attributeTarget: true })).toMatchObject({
      code: "INVALID_INPUT",
      message: /target-prefix/,
    });
    methodRegistry.unregister(noPrefix.id);
  });

  it("stops with ABORTED when the signal fires", async () => {
    const controller = new AbortController();
    controller.abort("user");
    expect(await failure("abc", { target: "x", signal: controller.signal })).toMatchObject({
      code: "ABORTED",
    });
  });
});
