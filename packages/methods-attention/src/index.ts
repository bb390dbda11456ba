/**
 * @packageDocumentation
 * Attention-based attribution methods for tokenscope: raw attention with
 * layer and head selection, attention rollout, last-layer attention and a
 * per layer × head summary. Each talks to a model only through core's
 * `LanguageModel` (`forward` with attention taps). This entry point only
 * exports: register the methods explicitly, e.g.
 * `for (const m of methods) registerMethod(m)`.
 */
import type { AttributionMethod } from "@tokenscope/core";
import { attention } from "./attention.ts";
import { attentionLast } from "./attention-last.ts";
import { attentionRollout } from "./attention-rollout.ts";
import { attentionSummary } from "./attention-summary.ts";

export { type AttentionParameters, attention } from "./attention.ts";
export { type AttentionLastParameters, attentionLast } from "./attention-last.ts";
export { type AttentionRolloutParameters, attentionRollout } from "./attention-rollout.ts";
export {
  type AttentionSummaryParameters,
  attentionSummary,
  type LayerHeadTable,
} from "./attention-summary.ts";
export { attentionRowBytes, checkAttentionBudget } from "./shared/memory-budget.ts";

/** Every method of this package, for explicit registration (`registerMethod` each). */
// biome-ignore lint/suspicious/noExplicitAny: a list of definitions with different parameter types
export const methods: AttributionMethod<any>[] = [
  attention,
  attentionRollout,
  attentionLast,
  attentionSummary,
];
