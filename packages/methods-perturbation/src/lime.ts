import { type AttributionMethod, parseParameters } from "@tokenscope/core";
import { z } from "zod";
import { type LimeSettings, limePlan } from "./plans/lime.ts";
import { runCoalitions } from "./shared/coalitions.ts";
import { baselineDescription, featureMethodFields, seedParameter } from "./shared/parameters.ts";
import { stepStream } from "./shared/random.ts";

const parameters = z.strictObject({
  n_samples: z
    .number()
    .int()
    .min(2)
    .default(200)
    .describe(
      "Samples the surrogate is fitted on per step (Captum's n_samples), the original input included.",
    ),
  mask_probability: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.5)
    .describe("Probability that a feature is absent in a sample."),
  kernel_width: z
    .number()
    .positive()
    .nullable()
    .default(null)
    .describe("Width of the cosine-distance kernel; null: 0.25 × sqrt(number of features)."),
  alpha: z
    .number()
    .nonnegative()
    .default(1)
    .describe("Ridge penalty of the surrogate (intercept not penalised)."),
  ...featureMethodFields,
  seed: seedParameter,
});

/** Parameters of {@link lime}. */
export type LimeParameters = z.output<typeof parameters>;

/** `lime`: a weighted ridge surrogate fitted to the attributed function on random feature subsets. */
export const lime: AttributionMethod<LimeParameters> = {
  id: "lime",
  family: "perturbation",
  summary: "Coefficients of a local linear surrogate fitted on randomly perturbed inputs (LIME).",
  description:
    "LIME (Ribeiro et al. 2016, as Inseq's `lime`): for each attributed step t, `n_samples` binary vectors z " +
    "over the features (tokens, words, sentences or `groups`; the first is the original, all ones; in the " +
    "others each feature is absent with probability `mask_probability`) are turned into inputs and f_t is " +
    "evaluated on each. Each sample is weighted by LIME's text kernel sqrt(exp(−D² / width²)) of the cosine " +
    "distance D between z and the original (D = 1 − sqrt(|z| / d); width = `kernel_width`, by default " +
    "0.25 × sqrt(d)), and a ridge regression f_t ≈ b + Σ_j β_j z_j (penalty `alpha` on β, intercept free) is " +
    "solved with ml-matrix; β_j is feature j's score, shared by its tokens. The surrogate's intercept and " +
    `weighted R² are returned as extras lime_intercept and lime_score. ${baselineDescription} Special tokens ` +
    "are never absent unless `include_special`. Random numbers come from a Mersenne Twister seeded with " +
    "`seed` and the step, so results are reproducible and independent of batching. All samples of all steps " +
    "go through the model in forward calls of `batch_size` rows.",
  references: ["https://arxiv.org/abs/1602.04938"],
  requires: ["forward"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  async run(context) {
    const parsed = parseParameters(parameters, context.parameters, "lime");
    const settings: LimeSettings = {
      samples: parsed.n_samples,
      maskProbability: parsed.mask_probability,
      kernelWidth: parsed.kernel_width,
      alpha: parsed.alpha,
    };
    return runCoalitions(context, {
      methodId: "lime",
      units: { kind: parsed.features, groups: parsed.groups },
      baseline: parsed.baseline,
      includeSpecial: parsed.include_special,
      batchSize: parsed.batch_size,
      plan: (task) => limePlan(task.features.length, settings, stepStream(parsed.seed, task.ids, task.step)),
    });
  },
};
