import { TokenscopeError } from "../errors/index.ts";
import type { Capability } from "./capabilities.ts";
import { capabilityDocs } from "./capabilities.ts";
import type { LanguageModel } from "./language-model.ts";

/** What would provide a capability a model lacks, keyed by capability. */
const remedies: Partial<Record<Capability, string>> = {
  gradients:
    "Load the model from its weights (safetensors, GGUF or llama2.c) so tokenscope builds a differentiable graph, or pick a perturbation or attention method.",
  "gradients.layer":
    "Load the model from its weights so tokenscope builds a graph that exposes the residual stream.",
  "taps.attention": "Load the model from its weights so its graph exposes attention probabilities.",
  "interventions.valueZeroing": "Load the model from its weights so its graph takes value-zeroing masks.",
};

/**
 * Throws `MISSING_CAPABILITY` naming the capability, the model and the remedy
 * when `model` lacks any of `required`.
 */
export function assertCapabilities(
  model: Pick<LanguageModel, "info" | "capabilities" | "capabilityNotes">,
  required: readonly Capability[],
  requester: string,
): void {
  const missing = required.filter((capability) => !model.capabilities.has(capability));
  if (missing.length === 0) return;
  const first = missing[0]!;
  throw new TokenscopeError(
    "MISSING_CAPABILITY",
    `${requester} needs the capability "${first}" (${capabilityDocs[first]}), which model "${model.info.id}" does not provide${model.capabilityNotes?.[first] ? `: ${model.capabilityNotes[first]}` : ""}.`,
    {
      hint: remedies[first] ?? "Use a model that declares this capability.",
      details: { requester, model: model.info.id, missing },
    },
  );
}
