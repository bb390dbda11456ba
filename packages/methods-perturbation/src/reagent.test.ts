import { isTokenscopeError, type LanguageModel, parseParameters } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { contextFor, countForwardCalls, token } from "./models.test-helpers.ts";
import { vocabularyTags } from "./reagent/pos-tags.ts";
import { applyUpdate, createProbeGroup, inTopK, stopInput } from "./reagent/probes.ts";
import { posSampler } from "./reagent/samplers.ts";
import { reagent } from "./reagent.ts";
import { stepStream } from "./shared/random.ts";
import type { StepTask } from "./shared/step-tasks.ts";

const words = ["<unk>", "<s>", "</s>", "the", "cat", "dog", "runs", "quickly", "blue", "red", "eats"];
const moreWords = ["big", "small", "house", "jumps", "a", "sleeps", "green", "tree", "happily", "bird"];
const vocabulary = [...words, ...moreWords];
const COPIED_POSITION = 3;

/**
 * A causal model that copies the token at position 3: its logit is 6 higher; every other token
 * nudges all logits by small fixed pseudo-random amounts (±0.3). Token texts are English words, so
 * the part-of-speech sampler has something to tag.
 */
function createCopyModel(): LanguageModel {
  const vocab = vocabulary.length;
  const nudge = (position: number, id: number, v: number) =>
    (((position * 31 + id * 17 + v * 7) % 13) / 6 - 1) * 0.3;
  return {
    info: {
      id: "copy-model",
      architecture: "copy",
      vocabSize: vocab,
      hiddenSize: 1,
      numLayers: 0,
      numHeads: 0,
      contextLength: 64,
      encoderDecoder: false,
      specialTokens: { unk: 0, bos: 1, eos: [2] },
    },
    capabilities: new Set(["forward", "tokenize"]),
    tokenize: async () => ({ text: "", tokens: [] }),
    detokenize: async (ids) => ids.map((id) => vocabulary[id]).join(" "),
    decodeTokens: async (ids) => ({
      text: "",
      tokens: ids.map((id) => ({ id, text: ` ${vocabulary[id]}`, span: null, special: id < 3 })),
    }),
    forward: async (request) => {
      if (!("ids" in request.inputs)) throw new Error("ids only");
      const rows = request.inputs.ids;
      const positions = request.positions!;
      const width = positions[0]!.length;
      const logits = new Float64Array(rows.length * width * vocab);
      rows.forEach((row, b) => {
        positions[b]!.forEach((position, p) => {
          for (let v = 0; v < vocab; v++) {
            let logit = position >= COPIED_POSITION && row[COPIED_POSITION] === v ? 6 : 0;
            for (let s = 0; s <= position; s++) if (s !== COPIED_POSITION) logit += nudge(s, row[s]!, v);
            logits[(b * width + p) * vocab + v] = logit;
          }
        });
      });
      return { logits: { data: logits, dims: [rows.length, width, vocab] } };
    },
  };
}

const copyModel = createCopyModel();
const sourceIds = [1, 3, 9, 12, 11, 5, 13, 14, 17, 6, 18, 7, 15];
const copySequence = {
  source: sourceIds.map((id) => token(id, vocabulary[id], id === 1)),
  target: [token(sourceIds[COPIED_POSITION]!, vocabulary[sourceIds[COPIED_POSITION]!])],
  steps: [0],
};

async function scores(parameters: Record<string, unknown>, model = copyModel) {
  const [output] = await reagent.run(contextFor(model, [copySequence], { parameters: parameters }));
  return output!;
}

describe("reagent", () => {
  it("defaults to Inseq's ReAGent settings and its part-of-speech sampler", () => {
    expect(parseParameters(reagent.parameters, {}, "reagent")).toMatchObject({
      keep_top_n: 5,
      keep_ratio: null,
      invert_keep: false,
      stopping_condition_top_k: 3,
      replacing_ratio: 0.3,
      max_probe_steps: 3000,
      num_probes: 16,
      sampler: "pos",
    });
  });

  for (const sampler of ["uniform", "pos", "model"]) {
    it(`ranks the copied token in the top 3 (sampler "${sampler}")`, async () => {
      const output = await scores({ sampler, seed: 1 });
      const row = Array.from(output.source.data);
      const ranked = row.map((_, s) => s).sort((a, b) => row[b]! - row[a]!);
      expect(ranked.slice(0, 3)).toContain(COPIED_POSITION);
      expect(row[0]).toBe(0); // BOS is not replaced
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      const extras = output.extras as Record<string, number[]>;
      expect(extras["reagent_converged"]![0]).toBeGreaterThan(0);
    });
  }

  it("is deterministic with a fixed seed and changes with the seed", async () => {
    const first = Array.from((await scores({ seed: 9 })).source.data);
    const again = Array.from((await scores({ seed: 9 })).source.data);
    const other = Array.from((await scores({ seed: 10 })).source.data);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it("sends each iteration's probes in one forward call (update) plus one (check)", async () => {
    const { model, rowsPerCall } = countForwardCalls(copyModel);
    const output = await scores({ seed: 2, num_probes: 6, batch_size: 64 }, model);
    const iterations = (output.extras as Record<string, number[]>)["reagent_iterations"]![0]!;
    expect(rowsPerCall.length).toBe(1 + 2 * iterations);
    expect(rowsPerCall[0]).toBe(1); // the original input
    expect(rowsPerCall[1]).toBe(6); // every probe's update input at once
  });

  it("rejects keep_top_n 0 without keep_ratio, and honours an aborted signal", async () => {
    const bad = await scores({ keep_top_n: 0 }).catch((e) => e);
    expect(isTokenscopeError(bad, "INVALID_PARAMETERS")).toBe(true);
    expect(bad.message).toContain("keep_ratio");
    const controller = new AbortController();
    controller.abort();
    const aborted = await reagent
      .run(contextFor(copyModel, [copySequence], { signal: controller.signal }))
      .catch((e) => e);
    expect(isTokenscopeError(aborted, "ABORTED")).toBe(true);
  });
});

describe("reagent probes", () => {
  const task: StepTask = {
    sequence: 0,
    step: 0,
    sourceLength: 4,
    ids: [1, 3, 4, 5],
    targetId: 4,
    features: [[1], [2], [3]],
  };

  it("updates replaced tokens by logit((Δ+1)/2) and kept ones by logit((1−Δ)/2)", () => {
    const group = createProbeGroup(task, 1, stepStream(0, task.ids, 0));
    const before = Array.from(group.scores[0]!);
    group.original = 0.8;
    applyUpdate(group, 0, Uint8Array.from([1, 0, 1]), 0.3); // Δ = 0.5
    const gained = Array.from(group.scores[0]!, (score, index) => score - before[index]!);
    expect(gained[0]).toBeCloseTo(Math.log(3), 12);
    expect(gained[1]).toBeCloseTo(-Math.log(3), 12);
    expect(gained[2]).toBeCloseTo(Math.log(3), 12);
  });

  it("keeps the top tokens in the check input, or replaces only them with invert_keep", () => {
    const group = createProbeGroup(task, 1, stepStream(0, task.ids, 0));
    group.scores[0] = Float64Array.from([0.1, 5, 0.2]);
    const settings = {
      keep_top_n: 1,
      keep_ratio: null,
      invert_keep: false,
      stopping_condition_top_k: 3,
      replacing_ratio: 0.3,
      max_probe_steps: 10,
      num_probes: 1,
    };
    const marker = () => 0;
    expect(stopInput(group, 0, settings, marker)).toEqual([1, 0, 4, 0]);
    expect(stopInput(group, 0, { ...settings, invert_keep: true }, marker)).toEqual([1, 3, 0, 5]);
    expect(stopInput(group, 0, { ...settings, keep_top_n: 0, keep_ratio: 0.5 }, marker)).toEqual([
      1, 0, 4, 5,
    ]);
  });

  it("tests top-k membership against the logits", () => {
    expect(inTopK([0.1, 3, 2, 5], 2, 2)).toBe(false);
    expect(inTopK([0.1, 3, 2, 5], 2, 3)).toBe(true);
    expect(inTopK([1, 1, 1], 0, 1)).toBe(true);
  });
});

describe("part-of-speech sampler", () => {
  it("replaces a token with one of the same universal part of speech", async () => {
    const tags = await vocabularyTags(copyModel);
    expect(tags[4]).toBe("NOUN"); // " cat"
    expect(tags[1]).toBeNull(); // BOS
    const sample = await posSampler(copyModel);
    const random = stepStream(1, [0], 0);
    const task: StepTask = {
      sequence: 0,
      step: 0,
      sourceLength: 3,
      ids: [1, 4, 6],
      targetId: 4,
      features: [],
    };
    for (let draw = 0; draw < 30; draw++) {
      expect(tags[sample(task, 1, random)]).toBe(tags[4]);
      expect(tags[sample(task, 2, random)]).toBe(tags[6]);
    }
  });

  it("tags the toy model's vocabulary once per model", async () => {
    const toy = createToyModel();
    const first = vocabularyTags(toy);
    expect(vocabularyTags(toy)).toBe(first);
    expect((await first).length).toBe(toy.info.vocabSize);
  });
});
