import { auprc } from "./auprc.ts";
import { f1 } from "./f1.ts";
import { iou } from "./iou.ts";
import type { PlausibilityMetric } from "./types.ts";

/**
 * Every plausibility metric, in table order: F1 and IOU of the top-k words against the human
 * rationale, and AUPRC of the word importances. `plausibility` computes each of them; a new metric
 * is a file in this folder and one entry here.
 */
export const plausibilityMetrics: readonly PlausibilityMetric[] = [f1, iou, auprc];
