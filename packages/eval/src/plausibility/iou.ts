import { countTrue, overlapCount } from "./f1.ts";
import type { PlausibilityMetric } from "./types.ts";

/**
 * Intersection over union of the predicted and the human word sets, |P ∩ H| / |P ∪ H| (the IOU of
 * Vafa et al. 2021's annotated-LAMBADA evaluation; DeYoung et al. 2020 use it to match spans).
 */
export const iou: PlausibilityMetric = {
  id: "iou",
  summary: "Intersection over union of the top-k words by importance and the human rationale's words.",
  description:
    "Word-level intersection over union |P ∩ H| / |P ∪ H| of the predicted rationale P (the k most important words) and the human rationale H, as Vafa et al. 2021 score rationales on annotated LAMBADA (averaged over examples). 0 when both sets are empty.",
  kind: "set",
  compute(rationale) {
    const intersection = overlapCount(rationale);
    const union = countTrue(rationale.predicted) + countTrue(rationale.human) - intersection;
    return union === 0 ? 0 : intersection / union;
  },
};
