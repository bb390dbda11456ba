import type { AttributionResult } from "../result/types.ts";

/**
 * One result per sequence, each with the same run info, for writing one file
 * per prompt. The parts share objects with `result` (nothing is copied).
 */
export function splitResult(result: AttributionResult): AttributionResult[] {
  return result.sequences.map((sequence) => ({
    schemaVersion: result.schemaVersion,
    info: result.info,
    sequences: [sequence],
  }));
}
