import {
  evaluateStepFunction,
  type GradientRequest,
  getStepFunction,
  type LanguageModel,
  registerCoreBuiltins,
  registerStepFunction,
} from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../load-model.ts";
import { stories260kDir } from "../testing/assets.test-helpers.ts";
import { graphObjectiveOf } from "./objective-graph.ts";
import { groupIdenticalRows } from "./row-groups.ts";
import { maxRelativeError, storiesSteps } from "./stories-steps.test-helpers.ts";

let model: LanguageModel;
beforeAll(async () => {
  registerCoreBuiltins();
  model = await loadModel(stories260kDir);
});
afterAll(() => model.dispose?.());

const { ids, positions, targets } = storiesSteps;
const contrasts = [411, 29, 300];

/** The reference: core's own step function derivative, seeded into the logits (the two-phase path). */
async function twoPhase(stepFunction: string, parameters: Record<string, unknown>, contrast: boolean) {
  const rows = positions.map(() => ids);
  const { logits } = await model.forward!({ inputs: { ids: rows }, positions: positions.map((p) => [p]) });
  const vocab = model.info.vocabSize;
  const seeds = new Float32Array(positions.length * vocab);
  positions.forEach((_, row) => {
    const output = evaluateStepFunction(
      getStepFunction(stepFunction),
      {
        logits: Float64Array.from(logits.data.subarray(row * vocab, (row + 1) * vocab)),
        targetId: targets[row]!,
        ...(contrast ? { contrastTargetId: contrasts[row]! } : {}),
        parameters,
      },
      { withGradient: true },
    );
    seeds.set(output.gradLogits!, row * vocab);
  });
  return model.gradients!({
    inputs: { ids: rows },
    objective: { kind: "logitSeeds", positions, seeds: { data: seeds, dims: [positions.length, vocab] } },
  });
}

describe("step functions computed inside the graph", () => {
  const cases: [string, Record<string, unknown>, boolean][] = [
    ["probability", {}, false],
    ["probability", { logprob: true }, false],
    ["logprob", {}, false],
    ["logit", {}, false],
    ["crossentropy", {}, false],
    ["perplexity", {}, false],
    ["entropy", {}, false],
    ["contrast_prob", {}, true],
    ["contrast_logits", {}, true],
    ["contrast_prob_diff", {}, true],
    ["contrast_prob_diff", { logprob: true }, true],
    ["contrast_logits_diff", {}, true],
  ];

  it.each(cases)(
    "%s %o: gradients equal core's derivative seeded into the logits",
    async (id, parameters, contrast) => {
      expect(graphObjectiveOf(id, parameters)).toBeDefined();
      const request: GradientRequest = {
        inputs: { ids: positions.map(() => ids) },
        objective: {
          kind: "stepFunction",
          stepFunction: id,
          parameters,
          positions,
          targetIds: targets,
          ...(contrast ? { contrastTargetIds: contrasts } : {}),
        },
      };
      const inGraph = await model.gradients!(request);
      const reference = await twoPhase(id, parameters, contrast);
      expect(inGraph.gradients.dims).toEqual(reference.gradients.dims);
      // Float32 graph: the objective's derivative is computed in float32 instead of float64.
      expect(maxRelativeError(inGraph.gradients.data, reference.gradients.data)).toBeLessThan(1e-4);
      for (let row = 0; row < positions.length; row++) {
        const vocab = model.info.vocabSize;
        const expected = evaluateStepFunction(
          getStepFunction(id),
          {
            logits: Float64Array.from(inGraph.logits.data.subarray(row * vocab, (row + 1) * vocab)),
            targetId: targets[row]!,
            ...(contrast ? { contrastTargetId: contrasts[row]! } : {}),
            parameters,
          },
          { withGradient: false },
        ).value;
        expect(inGraph.objective[row]).toBe(expected);
      }
    },
  );

  it("runs each distinct input once: a mixed batch equals one call per row", async () => {
    const shorter = [...ids.slice(0, -1), 100];
    const rows = [ids, shorter, ids, shorter, ids];
    const rowPositions = [4, 5, 6, 6, 5];
    const rowTargets = [29, 437, 263, 100, 12];
    const together = await model.gradients!({
      inputs: { ids: rows },
      objective: {
        kind: "stepFunction",
        stepFunction: "logprob",
        positions: rowPositions,
        targetIds: rowTargets,
      },
    });
    const size = ids.length * model.info.hiddenSize;
    for (let row = 0; row < rows.length; row++) {
      const alone = await model.gradients!({
        inputs: { ids: [rows[row]!] },
        objective: {
          kind: "stepFunction",
          stepFunction: "logprob",
          positions: [rowPositions[row]!],
          targetIds: [rowTargets[row]!],
        },
      });
      const slice = together.gradients.data.subarray(row * size, (row + 1) * size);
      expect(maxRelativeError(slice, alone.gradients.data)).toBeLessThan(1e-5);
      expect(together.objective[row]).toBeCloseTo(alone.objective[0]!, 6);
    }
  });

  it("leaves user-defined step functions, and built-in ids registered over, to the two-phase path", () => {
    expect(graphObjectiveOf("kl_divergence")).toBeUndefined();
    const custom = { ...getStepFunction("logit"), id: "objective_graph_test_logit" };
    registerStepFunction(custom);
    expect(graphObjectiveOf("objective_graph_test_logit")).toBeUndefined();
  });
});

describe("groupIdenticalRows", () => {
  it("groups equal rows (masks included) and keeps batch order inside groups", () => {
    const data = Float32Array.from([1, 2, 3, 4, 1, 2, 5, 6, 3, 4]);
    expect(groupIdenticalRows(data, 5, 2).groups).toEqual([[0, 2], [1, 4], [3]]);
    const masked = groupIdenticalRows(Float32Array.from([1, 1, 1, 1]), 2, 2, [
      [1, 1],
      [0, 1],
    ]);
    expect(masked.groups).toEqual([[0], [1]]);
    // −0 and +0 are different bits but equal values: hashing must not split them.
    expect(groupIdenticalRows(Float64Array.from([0, -0]), 2, 1).groups).toEqual([[0, 1]]);
  });
});
