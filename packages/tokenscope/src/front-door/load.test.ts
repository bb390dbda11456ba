import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tokenscope from "../index.ts";
import type { AttributionModel } from "./load.ts";

const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));

describe("the umbrella's exports", () => {
  it("re-exports every package: loadModel, attribute, renderHeatmap, load, and every built-in method", () => {
    for (const name of ["loadModel", "attribute", "renderHeatmap", "renderResult", "load", "saveResult"]) {
      expect(typeof (tokenscope as Record<string, unknown>)[name], name).toBe("function");
    }
    // One from each package: core, tensor-backends, models, each method package, viz.
    for (const name of [
      "toInseqJson",
      "buildGradientGraph",
      "createOnnxruntimeNodeRuntime",
      "buildDecoderGraph",
      "integratedGradients",
      "occlusion",
      "attentionRollout",
      "tokenLabel",
    ]) {
      expect((tokenscope as Record<string, unknown>)[name], name).toBeDefined();
    }
    expect(tokenscope.methods.map((method) => method.id)).toEqual(
      expect.arrayContaining([
        "saliency",
        "integrated_gradients",
        "occlusion",
        "reagent",
        "attention",
        "value_zeroing",
      ]),
    );
    expect(tokenscope.methods.length).toBe(new Set(tokenscope.methods.map((method) => method.id)).size);
  });
});

describe("load() → attribute() → show(), save(), aggregate(), toRows(), scores()", () => {
  let model: AttributionModel;
  let folder: string;
  beforeAll(async () => {
    model = await tokenscope.load(stories, { method: "integrated_gradients", parameters: { n_steps: 16 } });
    folder = await mkdtemp(join(tmpdir(), "tokenscope-front-door-"));
  });
  afterAll(async () => {
    await model?.dispose();
    await rm(folder, { recursive: true, force: true });
  });

  it("loads with a default method whose parameters were validated, and attributes with it", async () => {
    expect(model.method).toBe("integrated_gradients");
    expect(model.parameters).toMatchObject({ n_steps: 16, method: "gausslegendre", baseline: "unk" });
    const out = await model.attribute("Once upon a time", {
      target: ", there was",
      stepScores: ["probability"],
    });
    expect(out.result.info.method).toMatchObject({ id: "integrated_gradients", parameters: { n_steps: 16 } });
    expect(out.info).toBe(out.result.info);
    expect(out.sequences).toHaveLength(1);
    // Inseq's default: the prompt and the earlier generated tokens, normalised over both.
    const [sequence] = out.sequences;
    expect(sequence!.targetAttributions).not.toBeNull();
    sequence!.sourceAttributions.forEach((row, t) => {
      const total = [...row, ...sequence!.targetAttributions![t]!].reduce<number>(
        (sum, cell) => sum + Math.abs(cell ?? 0),
        0,
      );
      expect(total).toBeCloseTo(1, 5);
    });
    // Call parameters merge over the loaded ones; another method takes only its own.
    const merged = await model.attribute("Once upon a time", { target: ",", parameters: { n_steps: 8 } });
    expect(merged.info.method.parameters).toMatchObject({ n_steps: 8, method: "gausslegendre" });
    const other = await model.attribute("Once upon a time", { target: ",", method: "saliency" });
    expect(other.info.method).toEqual({ id: "saliency", parameters: { abs: true } });
  });

  it("shows the terminal view, saves like Inseq's save(), aggregates, and exports rows and scores dicts", async () => {
    const out = await model.attribute("Once upon a time", {
      target: ", there was",
      stepScores: ["probability"],
    });
    const shown = out.show({ color: 0, columns: 100 });
    expect(shown).toContain("integrated_gradients");
    expect(shown).toContain("<s>");
    const written = await out.save(join(folder, "out.json.gz"), { splitSequences: true });
    expect(written).toEqual([join(folder, "out-0.json.gz")]);
    const loaded = await tokenscope.loadResult(written[0]!);
    loaded.sequences[0]!.sourceAttributions.forEach((row, t) => {
      row.forEach((cell, column) => {
        expect(cell).toBeCloseTo(out.sequences[0]!.sourceAttributions[t]![column]!, 6);
      });
    });
    const words = out.aggregate("words");
    expect(words.sequences[0]!.aggregation.at(-1)!.id).toBe("words");
    expect(out.sequences[0]!.aggregation.map((record) => record.id)).toEqual(["l2", "normalize"]);
    expect(out.toRows().length).toBeGreaterThan(0);
    const [scores] = out.scores();
    const firstGenerated = tokenscope.scoresKey(5, out.sequences[0]!.target[0]!.piece!);
    expect(Object.keys(scores!.target_attributions)[0]).toBe(firstGenerated);
    expect(scores!.step_scores[firstGenerated]!["probability"]).toBeCloseTo(
      out.sequences[0]!.stepScores["probability"]![0]!,
      12,
    );
    expect(JSON.parse(out.toInseqJson()).attributes.sequence_attributions).toHaveLength(1);
  });

  it("checks the method before it loads the model: a typo costs no load", async () => {
    await expect(tokenscope.load("/nonexistent/model", { method: "saliencyy" })).rejects.toMatchObject({
      code: "UNKNOWN_ID",
    });
    await expect(
      tokenscope.load("/nonexistent/model", { method: "saliency", parameters: { absx: true } }),
    ).rejects.toMatchObject({ code: "INVALID_PARAMETERS" });
    await expect(tokenscope.load("/nonexistent/model")).rejects.toMatchObject({ code: "MODEL_LOAD_FAILED" });
  });

  it("wraps an already loaded model", async () => {
    const wrapped = await tokenscope.load(model.model, { method: "occlusion" });
    expect(wrapped.model).toBe(model.model);
    const out = await wrapped.attribute("Once upon a time", { target: "," });
    // Inseq's occlusion: |Δf| with the UNK baseline, not normalised.
    expect(out.sequences[0]!.aggregation).toEqual([]);
    expect(out.sequences[0]!.sourceAttributions[0]!.every((cell) => cell === null || cell >= 0)).toBe(true);
  });
});
