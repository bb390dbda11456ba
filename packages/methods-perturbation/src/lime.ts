import { type AttributionMethod, parseParameters, sizeParameter, withLimit } from "@tokenscope/core";
import { z } from "zod";
import { type LimeSettings, limePlan } from "./plans/lime.ts";
import { runCoalitions } from "./shared/coalitions.ts";
import { baselineDescription, featureMethodFields, seedParameter } from "./shared/parameters.ts";
import { stepStream } from "./shared/random.ts";

const parameters = z.strictObject({
  n_samples: sizeParameter("samples", 2)
    .default(50)
    .describe(
      withLimit(
        "Samples the surrogate is fitted on per step (Captum's n_samples; 50 as Inseq), the original input included.",
        "samples",
      ),
    ),
  mask_probability: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.3)
    .describe("Probability that a feature is absent in a sample (0.3 as Inseq)."),
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
    .describe("Ridge penalty of the surrogate (intercept not penalised; 1 as Inseq, scikit-learn's Ridge)."),
  ...featureMethodFields("unk"),
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
    "LIME (Ribeiro et al. 2016), with the defaults of Inseq's `lime` (50 samples, mask probability 0.3, the " +
    "unknown token as the replacement, a ridge surrogate with alpha 1): for each attributed step t, " +
    "`n_samples` binary vectors z over the features (tokens, words, sentences or `groups`; the first is the " +
    "original, all ones; in the others each feature is absent with probability `mask_probability`) are " +
    "turned into inputs and f_t is evaluated on each. Each sample is weighted by LIME's text kernel " +
    "sqrt(exp(−D² / width²)) of the cosine distance D between z and the original (D = 1 − sqrt(|z| / d); " +
    "width = `kernel_width`, by default 0.25 × sqrt(d)), and a ridge regression f_t ≈ b + Σ_j β_j z_j " +
    "(penalty `alpha` on β, intercept free) is solved with ml-matrix; β_j is feature j's score, shared by its " +
    "tokens. The surrogate's intercept and weighted R² are returned as extras lime_intercept and lime_score. " +
    `${baselineDescription("unk", "as Inseq")} Special tokens are never absent unless \`include_special\`. ` +
    "Where we differ from Inseq, on purpose: (1) a masked position gets the unknown token's real input " +
    "embedding, while Inseq writes the numeric UNK id into every component of the position's embedding (its " +
    "perturbation works on embeddings but fills in the id); (2) the kernel is LIME's text kernel above, " +
    "while Inseq's similarity is the count of embedding elements equal to the original's (proportional to " +
    "the number of kept tokens); (3) the surrogate's features are the binary presence vector z, so each " +
    "coefficient is one token's (or feature's) score as LIME defines it, while Inseq regresses on the " +
    "flattened perturbed embeddings (its default aggregation then takes each token's L2 norm of them, so " +
    "signs are lost); (4) `n_samples` " +
    "counts the original input, as LIME's reference implementation, while Inseq's 50 samples are all " +
    "perturbed; (5) Inseq's special-token guard compares embeddings with ids and never fires, so it can " +
    "mask BOS. Random numbers come from a Mersenne Twister seeded with `seed` and the step, so results are " +
    "reproducible and independent of batching. All samples of all steps go through the model in forward " +
    "calls of `batch_size` rows.",
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
      plan: (task, point) =>
        limePlan(task.features.length, settings, stepStream(parsed.seed, task.ids, task.step), point),
    });
  },
};
