import { type AttributionMethod, parseParameters, sizeParameter, withLimit } from "@tokenscope/core";
import { z } from "zod";
import { shapleySamplingPlan } from "./plans/shapley-sampling.ts";
import { runCoalitions } from "./shared/coalitions.ts";
import { baselineDescription, featureMethodFields, seedParameter } from "./shared/parameters.ts";
import { stepStream } from "./shared/random.ts";

const parameters = z.strictObject({
  n_samples: sizeParameter("samples", 1)
    .default(25)
    .describe(
      withLimit(
        "Random feature orders per step (Captum's n_samples); each order costs one forward pass per feature.",
        "samples",
      ),
    ),
  ...featureMethodFields("zero"),
  seed: seedParameter,
});

/** Parameters of {@link shapleyValueSampling}. */
export type ShapleyValueSamplingParameters = z.output<typeof parameters>;

/** `shapley_value_sampling`: Shapley values estimated from random feature orders. */
export const shapleyValueSampling: AttributionMethod<ShapleyValueSamplingParameters> = {
  id: "shapley_value_sampling",
  family: "perturbation",
  summary: "Shapley values estimated by averaging marginal contributions over random feature orders.",
  description:
    "Shapley value sampling (Castro et al. 2009; Captum's ShapleyValueSampling): for each attributed step " +
    "t, `n_samples` random orders of " +
    "the features (tokens, words, sentences or `groups`) are drawn; starting from the input with every " +
    "feature at the baseline, features are restored one at a time in that order and each is credited with " +
    "the change of f_t. Scores are the mean credits: unbiased estimates of the Shapley values, and for any " +
    "number of samples they add up exactly to f_t(all) − f_t(none). Each step costs 1 + n_samples × (d − 1) " +
    "inputs for d features. " +
    baselineDescription("zero", "as Captum's ShapleyValueSampling; Inseq has no such method") +
    " Special tokens are never absent unless " +
    "`include_special`. Orders come from a Mersenne Twister seeded with `seed` and the step. All inputs go " +
    "through the model in forward calls of `batch_size` rows.",
  references: ["https://doi.org/10.1016/j.cor.2008.04.004"],
  requires: ["forward"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  async run(context) {
    const parsed = parseParameters(parameters, context.parameters, "shapley_value_sampling");
    return runCoalitions(context, {
      methodId: "shapley_value_sampling",
      units: { kind: parsed.features, groups: parsed.groups },
      baseline: parsed.baseline,
      includeSpecial: parsed.include_special,
      batchSize: parsed.batch_size,
      plan: (task) =>
        shapleySamplingPlan(
          task.features.length,
          parsed.n_samples,
          stepStream(parsed.seed, task.ids, task.step),
        ),
    });
  },
};
