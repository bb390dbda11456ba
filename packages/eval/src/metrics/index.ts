import { aopcDeletion } from "./aopc-deletion.ts";
import { aopcInsertion } from "./aopc-insertion.ts";
import { comprehensivenessAtK } from "./comprehensiveness-at-k.ts";
import { softComprehensiveness } from "./soft-comprehensiveness.ts";
import { softNormalizedComprehensiveness } from "./soft-normalized-comprehensiveness.ts";
import { softNormalizedSufficiency } from "./soft-normalized-sufficiency.ts";
import { softSufficiency } from "./soft-sufficiency.ts";
import { sufficiencyAtK } from "./sufficiency-at-k.ts";
import type { MetricDefinition } from "./types.ts";

/** Every faithfulness metric of `@tokenscope/eval`, in report order. */
export const metricDefinitions: readonly MetricDefinition[] = [
  softNormalizedSufficiency,
  softNormalizedComprehensiveness,
  softSufficiency,
  softComprehensiveness,
  comprehensivenessAtK,
  sufficiencyAtK,
  aopcDeletion,
  aopcInsertion,
];

/** Shorthands accepted in `EvaluateOptions.metrics`, each standing for several metric ids. */
export const metricAliases: Readonly<Record<string, readonly string[]>> = {
  aopc: ["aopc_deletion", "aopc_insertion"],
};

export { reagentDistance, softmax } from "./distribution.ts";
export { curveCounts, keyAtFraction, unitsAtFraction } from "./erasure-counts.ts";
export type {
  ImportanceSource,
  MetricContext,
  MetricDefinition,
  Probe,
  ProbeReading,
  ReadProbe,
} from "./types.ts";
export {
  aopcDeletion,
  aopcInsertion,
  comprehensivenessAtK,
  softComprehensiveness,
  softNormalizedComprehensiveness,
  softNormalizedSufficiency,
  softSufficiency,
  sufficiencyAtK,
};
