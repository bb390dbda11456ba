import { type AttributionMethod, parseParameters } from "@tokenscope/core";
import { z } from "zod";
import { ablationPlan } from "./plans/ablation.ts";
import { runCoalitions } from "./shared/coalitions.ts";
import { baselineDescription, featureMethodFields } from "./shared/parameters.ts";

// Captum's FeatureAblation defaults to baseline 0; Inseq has no feature ablation to follow.
const parameters = z.strictObject({
  ...featureMethodFields("zero"),
});

/** Parameters of {@link featureAblation}. */
export type FeatureAblationParameters = z.output<typeof parameters>;

/** `feature_ablation`: Captum-style ablation of tokens, words, sentences or user-defined groups. */
export const featureAblation: AttributionMethod<FeatureAblationParameters> = {
  id: "feature_ablation",
  family: "perturbation",
  summary:
    "How much the attributed function drops when a feature (token, word, group) is set to the baseline.",
  description:
    "Feature ablation (Captum's FeatureAblation; Inseq has no such method): the input is split into " +
    "features — tokens, words, sentences, or the user's `groups` of token indices (Captum's feature mask; " +
    "tokens outside every group are features of their own) — and for each attributed step t, " +
    "score(feature) = f_t(original) − f_t(input with the feature at the baseline), shared by every token of " +
    `the feature, signed as in Captum. ${baselineDescription("zero", "as Captum")} On single tokens, with the ` +
    "same baseline, this is occlusion with `abs: false` (the same code). Special " +
    "tokens are not ablated unless `include_special` (score 0). All ablated inputs of all steps and sequences " +
    "go through the model in forward calls of `batch_size` rows.",
  references: ["https://captum.ai/api/feature_ablation.html"],
  requires: ["forward"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  async run(context) {
    const parsed = parseParameters(parameters, context.parameters, "feature_ablation");
    return runCoalitions(context, {
      methodId: "feature_ablation",
      units: { kind: parsed.features, groups: parsed.groups },
      baseline: parsed.baseline,
      includeSpecial: parsed.include_special,
      batchSize: parsed.batch_size,
      plan: (task) => ablationPlan(task.features.length),
    });
  },
};
