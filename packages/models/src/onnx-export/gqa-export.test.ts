import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LanguageModel, registerCoreBuiltins } from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRandomHfFolder } from "../hf/write-random-folder.ts";
import { loadModel } from "../load-model.ts";
import { gqaExportGraph, writeExportFolder } from "./export-folder.test-helpers.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-gqa-export-"));
const vocab = 300;
let model: LanguageModel;

beforeAll(async () => {
  registerCoreBuiltins();
  const hfFolder = join(root, "hf");
  await writeRandomHfFolder({
    architecture: "llama",
    layers: 1,
    hidden: 32,
    heads: 2,
    kvHeads: 1,
    vocab,
    seed: 3,
    out: hfFolder,
  });
  const graph = gqaExportGraph({ vocab, hidden: 32, heads: 2, kvHeads: 1 }, 11);
  model = await loadModel(await writeExportFolder(hfFolder, join(root, "export"), graph));
});
afterAll(async () => {
  await model?.dispose?.();
  rmSync(root, { recursive: true, force: true });
});

function logSoftmaxAt(logits: ArrayLike<number>, id: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return logits[id]! - max - Math.log(sum);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

const prompt = [1, 77, 150, 9, 222];

describe("an export with com.microsoft.GroupQueryAttention (rewritten for gradients)", () => {
  it("reads kv heads and head size from the cache inputs and declares gradients", () => {
    expect(model.info.numKeyValueHeads).toBe(1);
    expect(model.info.hiddenSize).toBe(32);
    expect(model.capabilities.has("gradients")).toBe(true);
    expect(model.capabilities.has("embed")).toBe(true);
  });

  it("generates with the present → past cache what recomputing the whole sequence each step gives", async () => {
    const expected: number[] = [];
    for (let step = 0; step < 8; step++) {
      const sequence = [...prompt, ...expected];
      const { logits } = await model.forward!({
        inputs: { ids: [sequence] },
        positions: [[sequence.length - 1]],
      });
      expected.push(argmax(logits.data));
    }
    const generated = await model.generate!(prompt, { maxNewTokens: 8, stopTokenIds: [] });
    expect(generated.ids).toEqual(expected);
    expect(new Set(expected).size).toBeGreaterThan(1);
  });

  it("gives gradients of a log-probability that match central finite differences of the forward pass", async () => {
    const target = 42;
    const position = prompt.length - 1;
    const embeddings = await model.embed!([prompt]);
    const { gradients, objective } = await model.gradients!({
      inputs: { embeddings },
      objective: {
        kind: "stepFunction",
        stepFunction: "logprob",
        positions: [position],
        targetIds: [target],
      },
    });
    const objectiveAt = async (data: Float32Array) => {
      const { logits } = await model.forward!({
        inputs: { embeddings: { data, dims: embeddings.dims } },
        positions: [[position]],
      });
      return logSoftmaxAt(logits.data, target);
    };
    expect(objective[0]!).toBeCloseTo(await objectiveAt(embeddings.data as Float32Array), 5);
    // Directional derivatives along a few fixed directions (coordinates of different positions).
    const epsilon = 1e-2;
    for (const direction of [3, 40, 97, 130, 159]) {
      const plus = Float32Array.from(embeddings.data);
      const minus = Float32Array.from(embeddings.data);
      plus[direction]! += epsilon;
      minus[direction]! -= epsilon;
      const numeric = ((await objectiveAt(plus)) - (await objectiveAt(minus))) / (2 * epsilon);
      const analytic = gradients.data[direction]!;
      expect(Math.abs(numeric - analytic)).toBeLessThan(2e-4 + 1e-3 * Math.abs(analytic));
    }
    expect(Math.max(...Array.from(gradients.data, Math.abs))).toBeGreaterThan(1e-3);
  });
});
