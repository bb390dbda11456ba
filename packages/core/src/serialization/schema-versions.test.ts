import { describe, expect, it } from "vitest";
import { SCHEMA_VERSION, type SequenceMetrics } from "../result/types.ts";
import { makeTestResult } from "./fixtures.test-helpers.ts";
import { parseResult, serializeResult } from "./serialize.ts";
import { validateResult } from "./validate.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("schema versions", () => {
  it("writes version 3 and reads version 1 (no metrics) and 2 (no contrast) files as version 3", () => {
    const result = makeTestResult();
    const saved = JSON.parse(text(serializeResult(result)));
    expect(saved.schemaVersion).toBe(SCHEMA_VERSION);
    expect(validateResult({ ...saved, schemaVersion: 2 }).schemaVersion).toBe(3);
    saved.schemaVersion = 1;
    const read = validateResult(saved);
    expect(read.schemaVersion).toBe(3);
    expect(read.sequences[0]!.sourceAttributions).toEqual(
      parseResult(serializeResult(result)).sequences[0]!.sourceAttributions,
    );
    expect(read.sequences[0]!.metrics).toBeUndefined();
  });

  it("keeps a sequence's metrics through save and load, and refuses malformed ones", () => {
    const result = makeTestResult();
    const metrics: SequenceMetrics = {
      steps: [
        { step: 0, target: " the", soft_ns: 0.25, rand_soft_ns: 0.1, soft_ns_se: null },
        { step: 1, target: " cat", soft_ns: 0.5, rand_soft_ns: 0.2, soft_ns_se: null },
      ],
      sequence: { soft_ns: 0.375, rand_soft_ns: 0.15 },
      parameters: { samples: 1, seed: 0 },
    };
    result.sequences[0]!.metrics = metrics;
    const read = parseResult(serializeResult(result));
    expect(read.sequences[0]!.metrics).toEqual(metrics);
    const saved = JSON.parse(text(serializeResult(result)));
    saved.sequences[0].metrics.sequence.soft_ns = "high";
    expect(() => validateResult(saved)).toThrow(/metrics\.sequence\.soft_ns/);
  });
});
