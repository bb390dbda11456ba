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
  baseline: baselineParameter,
  include_special: includeSpecialParameter,
  batch_size: batchSizeParameter,
});

/** Parameters of {@link occlusion}. */
export type OcclusionParameters = z.output<typeof parameters>;

/** `occlusion`: f(original) − f(input with one unit occluded), per token, word, span or sentence. */
export const occlusion: AttributionMethod<OcclusionParameters> = {
  id: "occlusion",
  family: "perturbation",
  summary: "How much the attributed function drops when a token (word, span, sentence) is occluded.",
  description:
    "Occlusion (Zeiler & Fergus 2014, as Inseq's `occlusion`): for each attributed step t and each unit of its " +
    "input — a source token, word, span or sentence, and with target-prefix attribution each earlier target " +
    "unit — score = f_t(original input) − f_t(input with the unit occluded), where f_t is the attributed " +
    "function (default: the probability of the target token). Every token of a unit gets the unit's score. " +
    "Words and sentences are read from the tokens' character spans; spans are the `spans` index ranges (a " +
    `token outside every range is its own unit). ${baselineDescription} Special tokens (BOS) are not ` +
    "occluded unless `include_special` (score 0). Only the step's prefix is ever input; every occluded input " +
    "of every step and sequence goes through the model in forward calls of `batch_size` rows. Positive " +
    "scores mean the unit supports the target.",
  references: ["https://arxiv.org/abs/1311.2901"],
  requires: ["forward"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  async run(context) {
    const parsed = parseParameters(parameters, context.parameters, "occlusion");
    return runCoalitions(context, {
      methodId: "occlusion",
      units: { kind: parsed.unit, spans: parsed.spans },
      baseline: parsed.baseline,
      includeSpecial: parsed.include_special,
      batchSize: parsed.batch_size,
      plan: (task) => ablationPlan(task.features.length),
    });
  },
};
