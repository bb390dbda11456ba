import { z } from "zod";

/** How an absent token is shown to the model; see {@link baselineDescription}. */
export const baselineParameter = z
  .enum(["zero", "unk", "pad", "mean", "removal"])
  .default("zero")
  .describe(
    'What replaces an absent token: "zero" (a zero input embedding; needs embed), "unk" (the unknown token), ' +
      '"pad" (the padding token), "mean" (the mean input embedding of the step\'s input; needs embed) or ' +
      '"removal" (the token is dropped and later tokens shift left).',
  );

/** Baseline of perturbation methods. */
export type Baseline = z.output<typeof baselineParameter>;

/** Prose shared by every method that takes {@link baselineParameter}. */
export const baselineDescription =
  'An absent token is replaced by the baseline: "zero" (default, as Captum and Inseq: its input embedding ' +
  'set to zeros; needs the embed capability), "unk" (the model\'s unknown token; an error names the model ' +
  'when it has none), "pad" (the padding token, likewise), "mean" (the mean input embedding of the step\'s ' +
  'input, i.e. the prompt and the target prefix before the step; needs embed) or "removal" (the token is ' +
  "dropped and the tokens after it shift left).";

/** Rows per forward call. */
export const batchSizeParameter = z
  .number()
  .int()
  .positive()
  .default(32)
  .describe("Perturbed inputs per forward call; every perturbation goes through the model in such batches.");

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
 * how features are formed, what "absent" means, and the batch size.
 */
export const featureMethodFields = {
  features: featuresParameter,
  groups: groupsParameter,
  baseline: baselineParameter,
  include_special: includeSpecialParameter,
  batch_size: batchSizeParameter,
};
