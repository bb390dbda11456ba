import { fileURLToPath } from "node:url";
import type { LanguageModel, MethodContext, MethodSequence } from "@tokenscope/core";
import { loadModel } from "@tokenscope/models/node";

/** The shared stories260K folder beside the repository (never copied into it). */
export const stories260kDir = fileURLToPath(
  new URL("../../../../shared/models/stories260K", import.meta.url),
);

let loaded: Promise<LanguageModel> | undefined;

/** stories260K, loaded once per test file. */
export function stories260k(): Promise<LanguageModel> {
  loaded ??= loadModel(stories260kDir);
  return loaded;
}

/** A sequence of `prompt` (with BOS) and `target` (a continuation), every step attributed. */
export async function sequenceOf(
  model: LanguageModel,
  prompt: string,
  target: string,
): Promise<MethodSequence> {
  const source = (await model.tokenize(prompt, { addSpecialTokens: true })).tokens;
  const targetTokens = (await model.tokenize(target, { addSpecialTokens: false, continuation: true })).tokens;
  return { source, target: targetTokens, steps: targetTokens.map((_, index) => index) };
}

/** A method context with the probability as attributed function; parameters raw, as a user gives them. */
export function contextFor(
  model: LanguageModel,
  sequences: MethodSequence[],
  parameters: Record<string, unknown> = {},
  attributeTarget = true,
): MethodContext<never> {
  return {
    model,
    sequences,
    attributedFunction: { id: "probability", parameters: {} },
    attributeTarget,
    parameters: parameters as never,
  };
}
