import { type AttributionMethod, parseParameters, sizeParameter, withLimit } from "@tokenscope/core";
import { z } from "zod";
import { kernelShapPlan } from "./plans/kernel-shap.ts";
import { runCoalitions } from "./shared/coalitions.ts";
import { baselineDescription, featureMethodFields, seedParameter } from "./shared/parameters.ts";
import { stepStream } from "./shared/random.ts";

const parameters = z.strictObject({
  samples: sizeParameter("samples", 1)
    .default(200)
    .describe(
      withLimit(
        "Coalitions per step besides the empty and full ones (Captum's n_samples counts those two as well); all " +
          "are enumerated when 2^d − 2 fit.",
        "samples",
      ),
    ),
  ...featureMethodFields("zero"),
  seed: seedParameter,
});

/** Parameters of {@link kernelShap}. */
export type KernelShapParameters = z.output<typeof parameters>;

/** `kernel_shap`: Shapley values from a weighted linear regression with the Shapley kernel. */
export const kernelShap: AttributionMethod<KernelShapParameters> = {
  id: "kernel_shap",
  family: "perturbation",
  summary: "Shapley values estimated by a linear regression weighted with the Shapley kernel (KernelSHAP).",
  description:
    "KernelSHAP (Lundberg & Lee 2017; Captum's KernelShap): for each attributed step t with d features " +
    "(tokens, words, sentences or `groups`), f_t is evaluated on coalitions S (absent features at the " +
    "baseline) and the linear model f_t(S) ≈ f_t(∅) + Σ_{j∈S} φ_j is fitted by weighted least squares with " +
    "the Shapley kernel (d − 1) / (C(d, |S|) |S| (d − |S|)), under the efficiency constraint " +
    "Σ φ_j = f_t(all) − f_t(∅), enforced exactly by eliminating one coefficient (solved with ml-matrix). " +
    "When `samples` ≥ 2^d − 2 every coalition is enumerated with its kernel weight and the result is the " +
    "exact Shapley values; otherwise `samples` coalitions are drawn from the kernel in complementary pairs. " +
    baselineDescription("zero", "as Captum's KernelShap; Inseq has no such method") +
    " Special tokens are never absent unless `include_special`. Sampling uses a " +
    "Mersenne Twister seeded with `seed` and the step. All inputs go through the model in forward calls " +
    "of `batch_size` rows.",
  references: ["https://arxiv.org/abs/1705.07874"],
  requires: ["forward"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  async run(context) {
    const parsed = parseParameters(parameters, context.parameters, "kernel_shap");
    return runCoalitions(context, {
      methodId: "kernel_shap",
      units: { kind: parsed.features, groups: parsed.groups },
      baseline: parsed.baseline,
      includeSpecial: parsed.include_special,
      batchSize: parsed.batch_size,
      plan: (task, point) =>
        kernelShapPlan(
          task.features.length,
          parsed.samples,
          stepStream(parsed.seed, task.ids, task.step),
          point,
        ),
    });
  },
};
