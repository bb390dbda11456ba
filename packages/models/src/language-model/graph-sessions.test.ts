import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RuntimeSession, RuntimeTensor, TensorRuntime } from "@tokenscope/tensor-backends";
import { afterAll, describe, expect, it } from "vitest";
import { openWeightFileStorage } from "../runtime/weight-file-storage.ts";
import { randomDecoderWeights } from "../testing/random-weights.ts";
import { createWeightFile } from "../weights/weight-file.ts";
import { createGraphSessions, type GraphVariant } from "./graph-sessions.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-graph-sessions-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const noTaps = { attention: false, values: false, residual: false, mlp: false };
const generation: GraphVariant = {
  input: "ids",
  gatherLogits: true,
  valueZeroing: false,
  taps: noTaps,
  kvCache: true,
};
const forward: GraphVariant = { input: "ids", gatherLogits: false, valueZeroing: false, taps: noTaps };
const tapped: GraphVariant = { ...forward, taps: { ...noTaps, attention: true } };

/** Sessions that record when they are made and closed, and whose runs end when the test says. */
function recordingRuntime() {
  const events: string[] = [];
  const pending: (() => void)[] = [];
  let made = 0;
  const runtime: TensorRuntime = {
    name: "recording",
    createSession: async (model) => {
      const id = `${made++}:${"graph" in model ? model.graph.inputs.some((i) => i.name.startsWith("past")) : ""}`;
      events.push(`open ${id}`);
      const session: RuntimeSession = {
        inputNames: [],
        outputNames: [],
        providers: ["cpu"],
        fallbacks: [],
        run: () =>
          new Promise<Record<string, RuntimeTensor>>((resolve) => {
            events.push(`run ${id}`);
            pending.push(() => resolve({}));
          }),
        dispose: async () => {
          events.push(`close ${id}`);
        },
      };
      return session;
    },
  };
  return {
    runtime,
    events,
    finishRuns: () => {
      for (const finish of pending.splice(0)) finish();
    },
  };
}

describe("graph sessions over mapped weights", () => {
  it("close the generation session when analysis starts (and back), once its runs end", async () => {
    const weights = randomDecoderWeights({ numLayers: 1, hiddenSize: 64, numHeads: 2, vocabSize: 300 }, 3);
    const file = createWeightFile(weights.tensors, openWeightFileStorage(join(root, "mapped")), {
      minBytes: 0,
    });
    const { runtime, events, finishRuns } = recordingRuntime();
    const sessions = createGraphSessions(weights, runtime, {}, file);
    const decoding = (await sessions.get(generation)).run({});
    // Analysis sessions are made while a generation step still runs: the step finishes first.
    const forwardSession = await sessions.get(forward);
    await sessions.get(tapped);
    expect(events).toEqual(["open 0:true", "run 0:true", "open 1:false", "open 2:false"]);
    finishRuns();
    await decoding;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(events.slice(4)).toEqual(["close 0:true"]);
    // Two analysis sessions live side by side; generating again closes both and rebuilds its own.
    expect(await sessions.get(forward)).toBe(forwardSession);
    await sessions.get(generation);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(events.slice(5).sort()).toEqual(["close 1:false", "close 2:false", "open 3:true"]);
    await sessions.dispose();
  });

  it("keep every session when the weights are in memory", async () => {
    const weights = randomDecoderWeights({ numLayers: 1, hiddenSize: 16, numHeads: 2, vocabSize: 50 }, 3);
    const { runtime, events } = recordingRuntime();
    const sessions = createGraphSessions(weights, runtime, {});
    const first = await sessions.get(generation);
    await sessions.get(forward);
    expect(await sessions.get(generation)).toBe(first);
    expect(events.filter((event) => event.startsWith("close"))).toEqual([]);
    await sessions.dispose();
  });
});
