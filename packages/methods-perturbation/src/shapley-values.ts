import { type AttributionMethod, parseParameters } from "@tokenscope/core";
import { z } from "zod";
import { exactShapleyPlan, maxExactShapleyFeatures } from "./plans/shapley-exact.ts";
import { runCoalitions } from "./shared/coalitions.ts";
import { baselineDescription, featureMethodFields } from "./shared/parameters.ts";

const parameters = z.strictObject({
  ...featureMethodFields("zero"),
});

/** Parameters of {@link shapleyValues}. */
export type ShapleyValuesParameters = z.output<typeof parameters>;

/** `shapley_values`: exact Shapley values by enumerating every coalition (at most 12 features). */
export const shapleyValues: AttributionMethod<ShapleyValuesParameters> = {
  id: "shapley_values",
  family: "perturbation",
  summary: "Exact Shapley values of the features, by enumerating every coalition (up to 12 features).",
  description:
    "Exact Shapley values (Shapley 1953): for each attributed step t with d features (tokens, words, " +
    "sentences or `groups`), f_t is evaluated on all 2^d coalitions (absent features at the baseline) and " +
    "φ_j = Σ_{S ⊆ F∖{j}} |S|! (d − |S| − 1)! / d! · (f_t(S ∪ {j}) − f_t(S)). The values add up to " +
    `f_t(all) − f_t(none) (efficiency). At most ${maxExactShapleyFeatures} features per step (4096 inputs); ` +
    'more is an INVALID_INPUT error pointing to "shapley_value_sampling" and "kernel_shap". ' +
    baselineDescription("zero", "as Captum's ShapleyValues; Inseq has no such method") +
    " Special tokens are never absent unless `include_special`. All coalitions of all " +
    "steps go through the model in forward calls of `batch_size` rows.",
  references: ["https://doi.org/10.1515/9781400881970-018"],
  requires: ["forward"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  async run(context) {
    const parsed = parseParameters(parameters, context.parameters, "shapley_values");
    return runCoalitions(context, {
      methodId: "shapley_values",
      units: { kind: parsed.features, groups: parsed.groups },
      baseline: parsed.baseline,
      includeSpecial: parsed.include_special,
      batchSize: parsed.batch_size,
      plan: (task) =>
        exactShapleyPlan(task.features.length, `step ${task.step} of sequence ${task.sequence}`),
    });
  },
};
