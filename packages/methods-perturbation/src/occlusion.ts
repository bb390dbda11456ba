import { type AttributionMethod, parseParameters } from "@tokenscope/core";
import { z } from "zod";
import { ablationPlan } from "./plans/ablation.ts";
import { runCoalitions } from "./shared/coalitions.ts";
import {
  baselineDescription,
  baselineParameter,
  batchSizeParameter,
  includeSpecialParameter,
} from "./shared/parameters.ts";

const range = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);

const parameters = z.strictObject({
  unit: z
    .enum(["token", "word", "span", "sentence"])
    .default("token")
    .describe('What is occluded at once: "token", "word", "span" (the ranges in `spans`) or "sentence".'),
  spans: z
    .strictObject({ source: z.array(range).default([]), target: z.array(range).default([]) })
    .default({ source: [], target: [] })
    .describe('For unit "span": half-open [start, end) token index ranges of the source and of the target.'),
  baseline: baselineParameter("unk"),
  abs: z
    .boolean()
    .default(true)
    .describe(
      "Report |f(original) − f(occluded)| (default, as Inseq's occlusion); false: the signed difference, as " +
        "Captum's Occlusion (positive when the unit supports the target).",
    ),
  include_special: includeSpecialParameter,
  batch_size: batchSizeParameter,
});

/** Parameters of {@link occlusion}. */
export type OcclusionParameters = z.output<typeof parameters>;

/**
 * `occlusion`: |f(original) − f(input with one unit occluded)|, per token, word, span or sentence, with
 * Inseq's defaults (UNK replacement, magnitude, not normalised); Captum's Occlusion with
 * `{ baseline: "zero", abs: false }`.
 */
export const occlusion: AttributionMethod<OcclusionParameters> = {
  id: "occlusion",
  family: "perturbation",
  summary: "How much the attributed function changes when a token (word, span, sentence) is occluded.",
  description:
    "Occlusion (Zeiler & Fergus 2014), with the defaults of Inseq's `occlusion`: for each attributed step t " +
    "and each unit of its input — a source token, word, span or sentence, and with target-prefix " +
    "attribution each earlier target unit — score = |f_t(original input) − f_t(input with the unit " +
    "occluded)|, where f_t is the attributed function (default: the probability of the target token) and " +
    'occluding puts the unit\'s tokens at the baseline, by default "unk": the unknown token, whose input ' +
    "embedding is what Inseq substitutes. As in Inseq, `attribute()` leaves these scores unnormalised (Inseq's " +
    "occlusion output has no default aggregation); pass `normalize: true` to normalise each step. " +
    '`abs: false` gives the signed difference, positive when the unit supports the target; `{ baseline: "zero", ' +
    "abs: false }` is Captum's Occlusion (baseline 0, signed). Every token of a unit gets the unit's score. " +
    "Words and sentences are read from the tokens' character spans; spans are the `spans` index ranges (a " +
    "token outside every range is its own unit; Inseq occludes single tokens only). " +
    `${baselineDescription("unk", "as Inseq")} One difference from Inseq: special tokens (BOS) are not ` +
    "occluded unless `include_special` (score 0), as in every method of this package, so that scores are about " +
    "the text; Inseq also replaces BOS by UNK (pass `include_special: true` for that) and leaves EOS as EOS, " +
    "so EOS scores 0 in both. Only the step's prefix is ever input; every occluded input of every step and " +
    "sequence goes through the model in forward calls of `batch_size` rows.",
  references: ["https://arxiv.org/abs/1311.2901"],
  requires: ["forward"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  // Inseq's occlusion output is coarse and has no default aggregation, so it is not normalised.
  normalizeByDefault: false,
  parameters,
  async run(context) {
    const parsed = parseParameters(parameters, context.parameters, "occlusion");
    return runCoalitions(context, {
      methodId: "occlusion",
      units: { kind: parsed.unit, spans: parsed.spans },
      baseline: parsed.baseline,
      includeSpecial: parsed.include_special,
      batchSize: parsed.batch_size,
      plan: (task) => ablationPlan(task.features.length, { absolute: parsed.abs }),
    });
  },
};
