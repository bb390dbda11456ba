import { sizeParameter, withLimit } from "@tokenscope/core";
import { z } from "zod";

/** What can stand in for an absent token; see {@link baselineDescription}. */
export const baselines = ["zero", "unk", "pad", "mean", "removal"] as const;

/** Baseline of perturbation methods. */
export type Baseline = (typeof baselines)[number];

// One phrase per baseline, shared by the parameter docs and the method descriptions so they cannot drift.
const baselineMeaning: Record<Baseline, string> = {
  zero: "its input embedding set to zeros, Captum's default baseline 0; needs the embed capability",
  unk:
    "the model's unknown token, Inseq's baseline; a model without one uses its padding token, then its " +
    "first EOS token, the order Inseq falls back in; an error names the model when it has none of them",
  pad: "the padding token; an error names the model when it has none",
  mean: "the mean input embedding of the step's input, i.e. the prompt and the target prefix before the step; needs embed",
  removal: "the token is dropped and the tokens after it shift left",
};

function baselineList(): string {
  return baselines.map((baseline) => `"${baseline}" (${baselineMeaning[baseline]})`).join(", ");
}

/**
 * The `baseline` parameter with `defaultBaseline` as its default. Each method picks its own default
 * (occlusion and LIME "unk" as Inseq; the Captum-only methods "zero" as Captum) and says why in
 * {@link baselineDescription}.
 */
export function baselineParameter(defaultBaseline: Baseline) {
  return z
    .enum(baselines)
    .default(defaultBaseline)
    .describe(`What replaces an absent token (default "${defaultBaseline}"): ${baselineList()}.`);
}

// What every perturbation method does with a contrastive attributed function (shared/contrast-rows.ts).
const contrastSentence =
  "A contrastive attributed function is evaluated on each perturbed input against the contrast " +
  "input perturbed the same way: a contrast input that shares the prompt loses the same prompt " +
  "tokens (its own contrast tokens are never absent), and a contrast source is never perturbed.";

/**
 * Prose for a method's description: which baseline is its default and why (`origin`, e.g. "as
 * Inseq's occlusion"), then what every baseline means.
 */
export function baselineDescription(defaultBaseline: Baseline, origin: string): string {
  return (
    `An absent token is replaced by the baseline, by default "${defaultBaseline}" (${origin}): ` +
    `${baselineList()}. ${contrastSentence}`
  );
}

/** Rows per forward call. */
export const batchSizeParameter = sizeParameter("batchRows", 1)
  .default(32)
  .describe(
    withLimit(
      "Perturbed inputs per forward call; every perturbation goes through the model in such batches.",
      "batchRows",
    ),
  );

/** Whether special tokens (BOS, chat markers) are perturbed. */
export const includeSpecialParameter = z
  .boolean()
  .default(false)
  .describe("Also perturb special tokens (BOS, chat markers); by default they are left alone and score 0.");

/** Seed of stochastic methods. */
export const seedParameter = z
  .number()
  .int()
  .nonnegative()
  .default(42)
  .describe("Seed of the Mersenne Twister stream; the same seed gives the same attributions.");

const tokenIndices = z.array(z.number().int().nonnegative()).min(1);

/** User-defined feature groups (token index lists) on the source and target sides. */
export const groupsParameter = z
  .strictObject({
    source: z.array(tokenIndices).default([]),
    target: z.array(tokenIndices).default([]),
  })
  .default({ source: [], target: [] })
  .describe(
    'For features "group": lists of token indices perturbed together (disjoint); every token outside the ' +
      "lists is its own feature.",
  );

/** Features of feature-based methods (ablation, LIME, Shapley values). */
export const featuresParameter = z
  .enum(["token", "word", "sentence", "group"])
  .default("token")
  .describe(
    'Units perturbed together: "token", "word" (from character spans), "sentence", or "group" (`groups`).',
  );

/**
 * The parameters every coalition method (feature ablation, LIME, Shapley values, KernelSHAP) shares:
 * how features are formed, what "absent" means (with the method's own default), and the batch size.
 */
export function featureMethodFields(defaultBaseline: Baseline) {
  return {
    features: featuresParameter,
    groups: groupsParameter,
    baseline: baselineParameter(defaultBaseline),
    include_special: includeSpecialParameter,
    batch_size: batchSizeParameter,
  };
}
