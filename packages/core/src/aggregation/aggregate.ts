import { getAggregator } from "../registry/registries.ts";
import { assertSequenceShape } from "../result/sequence-shape.ts";
import type { AggregationRecord, AttributionResult, SequenceAttribution } from "../result/types.ts";
import { parseParameters } from "../schema/parameters.ts";

/** One aggregation step: a registered aggregator id, or an id with parameters. */
export type AggregationStep = string | { id: string; parameters?: Record<string, unknown> };

/**
 * Applies aggregators in order to every sequence of `result` and records each
 * step (id and parsed parameters, defaults included) in the sequence's
 * `aggregation`. Aggregators are looked up with `getAggregator` and their
 * parameters validated before any work is done. Returns a new result; the
 * input is not modified.
 */
export function aggregate(result: AttributionResult, steps: readonly AggregationStep[]): AttributionResult {
  const resolved = steps.map((step) => {
    const { id, parameters } = typeof step === "string" ? { id: step, parameters: undefined } : step;
    const aggregator = getAggregator(id);
    return { aggregator, parameters: parseParameters(aggregator.parameters, parameters, id) };
  });
  const sequences = result.sequences.map((sequence) =>
    resolved.reduce<SequenceAttribution>((current, { aggregator, parameters }) => {
      const next = aggregator.apply(current, parameters);
      // Plugins' aggregators are checked too: a wrong shape here is far easier to trace than in a renderer.
      assertSequenceShape(next, `Aggregator "${aggregator.id}" (its output)`);
      const record: AggregationRecord = { id: aggregator.id, parameters: structuredClone(parameters) };
      return { ...next, aggregation: [...current.aggregation, record] };
    }, sequence),
  );
  return { ...result, info: structuredClone(result.info), sequences };
}
