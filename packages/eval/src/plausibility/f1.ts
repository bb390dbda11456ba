import type { PlausibilityMetric, WordRationale } from "./types.ts";

/** |predicted ∩ human| over the words of a {@link WordRationale}. */
export function overlapCount(rationale: WordRationale): number {
  let count = 0;
  for (let i = 0; i < rationale.human.length; i++) if (rationale.human[i] && rationale.predicted[i]) count++;
  return count;
}

/** Number of true entries. */
export function countTrue(flags: boolean[]): number {
  return flags.reduce((count, flag) => count + (flag ? 1 : 0), 0);
}

/**
 * Token-level F1 between the predicted and the human word sets (DeYoung et al. 2020, ERASER; Vafa et
 * al. 2021 on annotated LAMBADA): 2·|P ∩ H| / (|P| + |H|), the harmonic mean of precision |P ∩ H|/|P|
 * and recall |P ∩ H|/|H|. 0 when both sets are empty.
 */
export const f1: PlausibilityMetric = {
  id: "f1",
  summary: "F1 between the top-k words by importance and the human rationale's words.",
  description:
    "Word-level F1 between the predicted rationale P (the k most important words) and the human rationale H: 2·|P ∩ H| / (|P| + |H|), i.e. the harmonic mean of precision |P ∩ H|/|P| and recall |P ∩ H|/|H| (token-level F1 of DeYoung et al. 2020, ERASER; used over words on annotated LAMBADA by Vafa et al. 2021). With k = |H| (the default) precision, recall and F1 coincide. 0 when both sets are empty.",
  kind: "set",
  compute(rationale) {
    const size = countTrue(rationale.predicted) + countTrue(rationale.human);
    return size === 0 ? 0 : (2 * overlapCount(rationale)) / size;
  },
};
