import type { ForwardRequest } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { softmaxProbability } from "../models.test-helpers.ts";
import { evaluateRows } from "./forward-rows.ts";

const toy = createToyModel({ seed: 2 });

describe("evaluateRows", () => {
  it("right-pads ragged rows with a mask, reads each row's last position, and matches one-row calls", async () => {
    const requests: ForwardRequest[] = [];
    const model = {
      ...toy,
      forward: (request: ForwardRequest) => {
        requests.push(request);
        return toy.forward!(request);
      },
    };
    const rows = [
      [1, 5, 6, 7],
      [1, 8],
      [1, 9, 10],
    ];
    const values = await evaluateRows({
      model,
      count: rows.length,
      rowAt: (index) => ({ ids: rows[index]! }),
      read: (logits) => softmaxProbability(logits, 4),
      batchSize: 8,
      embeddings: false,
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.positions).toEqual([[3], [1], [2]]);
    expect(requests[0]!.inputs.attentionMask).toEqual([
      [1, 1, 1, 1],
      [1, 1, 0, 0],
      [1, 1, 1, 0],
    ]);
    for (const [index, ids] of rows.entries()) {
      const { logits } = await toy.forward!({ inputs: { ids: [ids] }, positions: [[ids.length - 1]] });
      expect(values[index]).toBe(softmaxProbability(logits.data, 4));
    }
  });

  it("replaces embeddings (zeros or a given vector) when sending embeddings", async () => {
    const ids = [1, 5, 6];
    const vector = Float64Array.from({ length: 8 }, (_, k) => k / 10);
    const [zeroed, replaced] = await evaluateRows({
      model: toy,
      count: 2,
      rowAt: (index) => ({ ids, replaced: { positions: [1], embedding: index === 0 ? null : vector } }),
      read: (logits) => logits[3]!,
      batchSize: 2,
      embeddings: true,
    });
    const embedded = await toy.embed!([ids]);
    const expected = async (fill: (data: Float64Array) => void) => {
      const data = Float64Array.from(embedded.data);
      fill(data);
      const { logits } = await toy.forward!({
        inputs: { embeddings: { data, dims: [1, 3, 8] } },
        positions: [[2]],
      });
      return logits.data[3]!;
    };
    expect(zeroed).toBe(await expected((data) => data.fill(0, 8, 16)));
    expect(replaced).toBe(await expected((data) => data.set(vector, 8)));
  });

  it("sends each contrast row right after its row, across call boundaries, and reads both logits", async () => {
    const requests: ForwardRequest[] = [];
    const model = {
      ...toy,
      forward: (request: ForwardRequest) => {
        requests.push(request);
        return toy.forward!(request);
      },
    };
    const rows = [
      [1, 5, 6],
      [1, 7],
      [1, 8, 9],
      [1, 10],
    ];
    // Rows 0 and 2 have a contrast row (longer than theirs); with 2 rows a call, row 2's falls into the next.
    const contrasts: (number[] | undefined)[] = [[1, 5, 6, 11, 12], undefined, [1, 8, 13, 14], undefined];
    const values = await evaluateRows({
      model,
      count: rows.length,
      rowAt: (index) => ({ ids: rows[index]! }),
      contrastRowAt: (index) => (contrasts[index] ? { ids: contrasts[index] } : undefined),
      read: (logits, _, contrastLogits) => logits[3]! - (contrastLogits?.[4] ?? 0),
      batchSize: 2,
      longestRow: 5,
      embeddings: false,
    });
    expect(requests.map((request) => request.positions)).toEqual([
      [[2], [4]],
      [[1], [2]],
      [[3], [1]],
    ]);
    const lastLogits = async (ids: number[]) =>
      (await toy.forward!({ inputs: { ids: [ids] }, positions: [[ids.length - 1]] })).logits.data;
    for (const [index, ids] of rows.entries()) {
      const contrast = contrasts[index];
      const expected = (await lastLogits(ids))[3]! - (contrast ? (await lastLogits(contrast))[4]! : 0);
      expect(values[index]).toBeCloseTo(expected, 12);
    }
  });

  it("refuses a row left without tokens", async () => {
    const error = await evaluateRows({
      model: toy,
      count: 1,
      rowAt: () => ({ ids: [] }),
      read: () => 0,
      batchSize: 1,
      embeddings: false,
    }).catch((e) => e);
    expect(error.code).toBe("INVALID_INPUT");
  });
});
