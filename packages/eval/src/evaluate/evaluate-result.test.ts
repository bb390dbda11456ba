import { type AttributionResult, isTokenscopeError, type ProgressEvent } from "@tokenscope/core";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { createWeightModel, TARGET } from "../metrics/weight-model.test-helpers.ts";
import { evaluateResult } from "./evaluate-result.ts";
import { sameModel } from "./model-match.ts";
import type { EvaluateOptions } from "./types.ts";

const model = createWeightModel();

function twoStepResult(options: { targetAttributions?: boolean; modelId?: string } = {}): AttributionResult {
  const sequence = makeSequence({
    source: [
      { text: "<s>", id: 1, span: null, special: true },
      { text: "a", id: 2 },
      { text: "b", id: 3 },
    ],
    target: [
      { text: "c", id: 4 },
      { text: "t", id: TARGET },
    ],
    sourceAttributions: [
      [0.2, 0.3, 0.5],
      [0.1, 0.2, 0.3],
    ],
    targetAttributions:
      options.targetAttributions === false
        ? null
        : [
            [null, null],
            [0.4, null],
          ],
  });
  return makeResult([sequence], { modelId: options.modelId ?? "weight-model" });
}

async function rejection(promise: Promise<unknown>, code: string): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(isTokenscopeError(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return (error as Error).message;
  }
  throw new Error("expected a rejection");
}

describe("evaluateResult", () => {
  it("gives the issue's JSON shape: steps with step, target and metric / rand_ keys, and a sequence row", async () => {
    const report = await evaluateResult(twoStepResult(), model);
    expect(report.sequences).toHaveLength(1);
    const { steps, sequence, parameters } = report.sequences[0]!;
    expect(steps.map((step) => [step.step, step.target])).toEqual([
      [0, "c"],
      [1, "t"],
    ]);
    expect(Object.keys(steps[0]!)).toEqual([
      "step",
      "target",
      "soft_ns",
      "rand_soft_ns",
      "soft_nc",
      "rand_soft_nc",
    ]);
    expect(Object.keys(sequence)).toEqual([
      "soft_ns",
      "rand_soft_ns",
      "soft_nc",
      "rand_soft_nc",
      "log_ratio_soft_ns",
      "log_ratio_soft_nc",
    ]);
    expect(sequence.soft_nc).toBeCloseTo(
      ((steps[0]!.soft_nc as number) + (steps[1]!.soft_nc as number)) / 2,
      12,
    );
    expect(parameters).toMatchObject({
      metrics: ["soft_ns", "soft_nc"],
      samples: 1,
      seed: 42,
      baseline: "unk",
    });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it("adds standard errors with samples > 1 and skips unattributed steps", async () => {
    const result = twoStepResult();
    result.sequences[0]!.sourceAttributions[0] = [null, null, null];
    const report = await evaluateResult(result, model, { metrics: ["soft_nc", "comp@0.5"], samples: 4 });
    const steps = report.sequences[0]!.steps;
    expect(steps.map((step) => step.step)).toEqual([1]);
    expect(Object.keys(steps[0]!)).toEqual([
      "step",
      "target",
      "soft_nc",
      "soft_nc_se",
      "rand_soft_nc",
      "rand_soft_nc_se",
      "comp@0.5",
      "rand_comp@0.5",
      "rand_comp@0.5_se",
    ]);
  });

  it("reports progress in forward rows and stops on abort", async () => {
    const events: ProgressEvent[] = [];
    await evaluateResult(twoStepResult(), model, {
      metrics: ["comp"],
      k: [0.5],
      onProgress: (event) => events.push(event),
    });
    expect(events.at(-1)!.completed).toBe(events.at(-1)!.total);
    expect(events[0]).toMatchObject({ phase: "evaluate", completed: 0 });
    const controller = new AbortController();
    controller.abort();
    await rejection(evaluateResult(twoStepResult(), model, { signal: controller.signal }), "ABORTED");
  });

  it.each<[string, EvaluateOptions, string]>([
    ["k above 1", { metrics: ["comp"], k: [0.5, 1.5] }, "(0, 1]"],
    ["k of 0", { metrics: ["suff"], k: [0] }, "(0, 1]"],
    ["k in an id", { metrics: ["comp@2"] }, "(0, 1]"],
    ["samples 0", { samples: 0 }, "samples"],
    ["fractional samples", { samples: 1.5 }, "samples"],
    [
      "unknown metric",
      { metrics: ["soft_ns", "faithfulness"] },
      "Valid metrics: soft_ns, soft_nc, soft_suff, soft_comp, comp, suff",
    ],
    ["bad baseline", { baseline: "mask" as never }, "baseline"],
    ["batch size 0", { batchSize: 0 }, "batchSize"],
  ])("refuses %s with INVALID_PARAMETERS", async (_name, options, text) => {
    expect(await rejection(evaluateResult(twoStepResult(), model, options), "INVALID_PARAMETERS")).toContain(
      text,
    );
  });

  it("refuses a result made with another model, unless told", async () => {
    const message = await rejection(
      evaluateResult(twoStepResult({ modelId: "other/model" }), model),
      "INVALID_INPUT",
    );
    expect(message).toContain('"other/model"');
    await expect(
      evaluateResult(twoStepResult({ modelId: "other/model" }), model, { allowModelMismatch: true }),
    ).resolves.toBeDefined();
  });

  it("refuses a result without the target-prefix attributions its later steps need, or keeps the prefix", async () => {
    const result = twoStepResult({ targetAttributions: false });
    expect(await rejection(evaluateResult(result, model), "INVALID_INPUT")).toContain("target-prefix");
    const report = await evaluateResult(result, model, { metrics: ["comp@1"], unattributedPrefix: "keep" });
    // Step 1 keeps the prefix token "c" (weight 4): erasing every source unit leaves c = 4.
    expect(report.sequences[0]!.steps[1]!["comp@1"]).toBeCloseTo((1 + 7) / (6 + 7) - (1 + 4) / (6 + 4), 12);
  });

  it("refuses merged tokens, tokens outside the vocabulary, and a missing unk token", async () => {
    const merged = twoStepResult();
    merged.sequences[0]!.source[1] = { ...merged.sequences[0]!.source[1]!, id: null, members: [1, 2] };
    expect(await rejection(evaluateResult(merged, model), "INVALID_INPUT")).toContain("no token id");
    const outside = twoStepResult();
    outside.sequences[0]!.target[0] = { ...outside.sequences[0]!.target[0]!, id: 99 };
    expect(await rejection(evaluateResult(outside, model), "INVALID_INPUT")).toContain("vocabulary");
    const noUnk = { ...model, info: { ...model.info, specialTokens: { bos: 1 } } };
    expect(
      await rejection(evaluateResult(twoStepResult(), noUnk, { metrics: ["comp"] }), "INVALID_PARAMETERS"),
    ).toContain("unk");
    await expect(
      evaluateResult(twoStepResult(), noUnk, { metrics: ["comp"], baseline: "zero" }),
    ).resolves.toBeDefined();
  });

  it("refuses a model without forward or embed with MISSING_CAPABILITY", async () => {
    const noEmbed = { ...model, capabilities: new Set(["forward"] as const) } as never;
    await rejection(evaluateResult(twoStepResult(), noEmbed), "MISSING_CAPABILITY");
    await expect(evaluateResult(twoStepResult(), noEmbed, { metrics: ["comp"] })).resolves.toBeDefined();
  });
});

describe("sameModel", () => {
  it.each([
    ["../shared/models/stories260K", "/work/shared/models/stories260K", true],
    ["/a/b/stories260K/", "C:\\x\\stories260K", true],
    ["HuggingFaceTB/SmolLM2-135M", "HuggingFaceTB/SmolLM2-135M", true],
    ["HuggingFaceTB/SmolLM2-135M", "HuggingFaceTB/SmolLM2-360M", false],
    ["org/stories260K", "other/stories260K", false],
    ["/models/a", "/models/b", false],
  ])("%s vs %s → %s", (a, b, same) => {
    expect(sameModel({ id: a }, { id: b })).toBe(same);
  });

  it("never matches different revisions", () => {
    expect(sameModel({ id: "org/m", revision: "main" }, { id: "org/m", revision: "v2" })).toBe(false);
    expect(sameModel({ id: "org/m", revision: "main" }, { id: "org/m" })).toBe(true);
  });
});
