import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AttributionModel, inseqSequenceLayout, load, toInseqJson } from "./index.ts";

const stories = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));

/**
 * Inseq's decoder-only saliency, re-implemented the way Inseq drives Captum: one gradient call per
 * generated step on that step's own prefix (prompt and earlier generated tokens), |∂p/∂x| reduced by
 * the L2 norm over the hidden size (abs changes no norm), then each step's column normalised by the
 * sum over every row of the prefix. Returns Inseq's [prefix rows × steps] columns.
 */
async function inseqSaliency(model: AttributionModel, promptIds: number[], targetIds: number[]) {
  const hidden = model.info.hiddenSize;
  const columns: number[][] = [];
  for (let step = 0; step < targetIds.length; step++) {
    const prefix = [...promptIds, ...targetIds.slice(0, step)];
    const { gradients } = await model.model.gradients!({
      inputs: { ids: [prefix] },
      objective: {
        kind: "stepFunction",
        stepFunction: "probability",
        positions: [prefix.length - 1],
        targetIds: [targetIds[step]!],
      },
    });
    const norms = prefix.map((_, position) => {
      let sum = 0;
      for (let d = 0; d < hidden; d++) sum += Number(gradients.data[position * hidden + d]) ** 2;
      return Math.sqrt(sum);
    });
    const total = norms.reduce((a, b) => a + b, 0);
    columns.push(norms.map((norm) => norm / total));
  }
  return columns;
}

describe("Inseq parity on stories260K", () => {
  let model: AttributionModel;
  beforeAll(async () => {
    model = await load(stories);
  });
  afterAll(() => model?.dispose());

  it("saliency with the defaults equals Inseq's layout and numbers: prompt + prefix rows, each step normalised over both", async () => {
    const out = await model.attribute("Once upon a time", { generation: { maxNewTokens: 6 } });
    const [sequence] = out.sequences;
    const promptIds = sequence!.source.map((token) => token.id!);
    const targetIds = sequence!.target.map((token) => token.id!);
    expect(promptIds[0]).toBe(model.info.specialTokens.bos);
    const expected = await inseqSaliency(model, promptIds, targetIds);
    const layout = inseqSequenceLayout(sequence!);
    expect([layout.attrPosStart, layout.attrPosEnd]).toEqual([
      promptIds.length,
      promptIds.length + targetIds.length,
    ]);
    expect(layout.target.map((token) => token.token).slice(0, 2)).toEqual(["<s>", "▁Once"]);
    for (let step = 0; step < targetIds.length; step++) {
      for (let row = 0; row < layout.rows; row++) {
        const cell = layout.matrix[row * layout.columns + step]!;
        if (row < promptIds.length + step) expect(cell).toBeCloseTo(expected[step]![row]!, 5);
        else expect(cell).toBeNaN();
      }
    }
    // The same numbers in Inseq's saved file.
    const saved = JSON.parse(toInseqJson(out.result)).attributes.sequence_attributions[0].attributes;
    expect([saved.attr_pos_start, saved.attr_pos_end]).toEqual([layout.attrPosStart, layout.attrPosEnd]);
  });

  it("attributes over the prompt alone, normalised over it, with attributeTarget: false", async () => {
    const out = await model.attribute("Once upon a time", { target: ", there", attributeTarget: false });
    const [sequence] = out.sequences;
    expect(sequence!.targetAttributions).toBeNull();
    for (const row of sequence!.sourceAttributions) {
      expect(row.reduce<number>((sum, cell) => sum + Math.abs(cell ?? 0), 0)).toBeCloseTo(1, 6);
    }
  });
});
