import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type GradientRequest, registerCoreBuiltins } from "@tokenscope/core";
import type { OnnxModel, RuntimeSession, TensorRuntime } from "@tokenscope/tensor-backends";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRandomHfFolder } from "../hf/write-random-folder.ts";
import { loadModel } from "../load-model.ts";
import { relativeDifference } from "../testing/differences.test-helpers.ts";
import { randomDecoderWeights } from "../testing/random-weights.ts";
import { createGraphSessions, type GraphVariant } from "./graph-sessions.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-recompute-"));
beforeAll(() => registerCoreBuiltins());
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("gradient sessions with recompute", () => {
  it("build a graph whose backward pass recomputes every layer after the one it starts from", async () => {
    const built: OnnxModel[] = [];
    const runtime: TensorRuntime = {
      name: "capture",
      createSession: async (model) => {
        built.push(model as OnnxModel);
        return {} as RuntimeSession;
      },
    };
    const weights = randomDecoderWeights({ numLayers: 3, hiddenSize: 16, numHeads: 2, vocabSize: 50 }, 2);
    const sessions = createGraphSessions(weights, runtime, {});
    const variant: GraphVariant = {
      input: "embeds",
      gatherLogits: true,
      valueZeroing: false,
      taps: { attention: false, values: false, residual: false, mlp: false },
      gradient: { wrt: "embeddings" },
    };
    await sessions.get(variant);
    await sessions.get({ ...variant, recompute: true });
    await sessions.get({
      ...variant,
      recompute: true,
      residualInput: 1,
      gradient: { wrt: "residual", layer: 1 },
    });
    const recomputedLayers = (model: OnnxModel) =>
      [
        ...new Set(
          model.graph.nodes.flatMap((node) => /^recompute\/residual\.(\d+)\//.exec(node.name)?.[1] ?? []),
        ),
      ].sort();
    expect(built.map(recomputedLayers)).toEqual([[], ["0", "1", "2"], ["2"]]);
  });
});

describe.each(["llama", "gpt2", "gemma2", "phi3"] as const)(
  "gradients with recompute (%s)",
  (architecture) => {
    it("equal the gradients that hold every layer's activations, for every objective path", async () => {
      const { folder } = await writeRandomHfFolder({
        architecture,
        layers: 3,
        hidden: 32,
        heads: 4,
        ...(architecture === "gpt2" ? {} : { kvHeads: 2 }),
        vocab: 300,
        seed: 5,
        out: join(root, architecture),
      });
      const model = await loadModel(folder, { threads: 1 });
      try {
        expect(model.capabilities.has("gradients.recompute")).toBe(true);
        const ids = (await model.tokenize("recomputed layers give the same gradients")).tokens.flatMap(
          (token) => (token.id === null ? [] : [token.id]),
        );
        const positions = [ids.length - 4, ids.length - 3, ids.length - 2];
        const targetIds = positions.map((p) => ids[p + 1]!);
        const requests: GradientRequest[] = [
          // Built-in objective, every step sharing one input (K seeds against one forward).
          {
            inputs: { ids: positions.map(() => ids) },
            objective: { kind: "stepFunction", stepFunction: "probability", positions, targetIds },
          },
          // Distinct inputs, one seed each, with respect to a middle layer's residual stream.
          {
            inputs: { ids: [ids, [...ids].reverse()] },
            objective: {
              kind: "stepFunction",
              stepFunction: "logprob",
              positions: [3, 5],
              targetIds: [7, 9],
            },
            wrt: { kind: "residual", layer: 1 },
          },
          // Explicit logit seeds (the two-phase path).
          {
            inputs: { ids: [ids] },
            objective: {
              kind: "logitSeeds",
              positions: [ids.length - 1],
              seeds: {
                data: Float32Array.from({ length: model.info.vocabSize }, (_, i) => Math.sin(i)),
                dims: [1, model.info.vocabSize],
              },
            },
          },
        ];
        for (const [index, request] of requests.entries()) {
          const held = await model.gradients!(request);
          const recomputed = await model.gradients!({ ...request, recompute: true });
          expect(
            relativeDifference(recomputed.gradients.data, held.gradients.data),
            `request ${index}`,
          ).toBeLessThan(1e-6);
          if (request.objective.kind === "logitSeeds") continue;
          // Float32 forward passes of two graphs ONNX Runtime optimises differently: equal to rounding.
          expect(relativeDifference(recomputed.objective, held.objective), `request ${index}`).toBeLessThan(
            1e-6,
          );
        }
      } finally {
        await model.dispose?.();
      }
    });
  },
);
