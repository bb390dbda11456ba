import { contrastLogits } from "./contrast-logits.ts";
import { contrastLogitsDiff } from "./contrast-logits-diff.ts";
import { contrastProb } from "./contrast-prob.ts";
import { contrastProbDiff } from "./contrast-prob-diff.ts";
import { crossentropy } from "./crossentropy.ts";
import { entropy } from "./entropy.ts";
import { inContextPvi } from "./in-context-pvi.ts";
import { klDivergence } from "./kl-divergence.ts";
import { logit } from "./logit.ts";
import { logprob } from "./logprob.ts";
import { pcxmi } from "./pcxmi.ts";
import { perplexity } from "./perplexity.ts";
import { probability } from "./probability.ts";
import { topPSize } from "./top-p-size.ts";
import type { StepFunction } from "./types.ts";

export { contrastLogits } from "./contrast-logits.ts";
export { contrastLogitsDiff } from "./contrast-logits-diff.ts";
export { contrastProb } from "./contrast-prob.ts";
export { contrastProbDiff } from "./contrast-prob-diff.ts";
export { crossentropy } from "./crossentropy.ts";
export { entropy } from "./entropy.ts";
export {
  type EvaluateStepFunctionOptions,
  evaluateStepFunction,
  type RawStepFunctionInput,
} from "./evaluate.ts";
export { inContextPvi } from "./in-context-pvi.ts";
export { klDivergence } from "./kl-divergence.ts";
export { logit } from "./logit.ts";
export { logprob } from "./logprob.ts";
export { pcxmi } from "./pcxmi.ts";
export { perplexity } from "./perplexity.ts";
export { probability } from "./probability.ts";
export { topPSize } from "./top-p-size.ts";
export type { LogitVector, StepFunction, StepFunctionInput, StepFunctionOutput } from "./types.ts";

/**
 * Every built-in step function (registered by `registerCoreBuiltins`). Ids follow
 * Inseq's; `logprob` is ours (Inseq's probability with logprob=True), and
 * Inseq's `mc_dropout_prob_avg` is absent because it needs extra forward
 * passes with dropout, not one step's logits.
 */
// biome-ignore lint/suspicious/noExplicitAny: a list of definitions with different parameter types
export const builtinStepFunctions: StepFunction<any>[] = [
  logit,
  probability,
  logprob,
  entropy,
  crossentropy,
  perplexity,
  contrastLogits,
  contrastProb,
  contrastProbDiff,
  contrastLogitsDiff,
  pcxmi,
  inContextPvi,
  klDivergence,
  topPSize,
];
