import { TokenscopeError } from "../errors/index.ts";
import type { AttributionMethod } from "../methods/types.ts";
import { getStepFunction } from "../registry/registries.ts";
import { type AttributeOptions, DEFAULT_ATTRIBUTED_FUNCTION } from "./types.ts";

const idOf = (choice: string | { id: string }) => (typeof choice === "string" ? choice : choice.id);

/**
 * Checks that a contrast and the functions that read it come together, before anything runs: a
 * contrastive step function without a contrast would fall back to the target itself and give exact
 * zeros (a wrong answer that looks like a finding); a contrast that nothing reads, or alignments
 * without contrast targets, are mistakes; and a method without contrastive support cannot attribute
 * a contrastive function. The CLI calls it before loading the model; `attribute()` calls it too.
 * @throws TokenscopeError INVALID_INPUT naming what is missing (option and CLI flag), UNKNOWN_ID.
 */
export function checkContrastOptions(
  options: Pick<
    AttributeOptions,
    "attributedFunction" | "stepScores" | "contrastTargets" | "contrastSources" | "contrastAlignments"
  >,
  method?: Pick<AttributionMethod<unknown>, "id" | "supports">,
): void {
  if (options.contrastAlignments !== undefined && options.contrastTargets === undefined) {
    throw new TokenscopeError("INVALID_INPUT", "contrastAlignments were given without contrastTargets.", {
      hint: "Alignments pair target tokens with contrast-target tokens: give contrastTargets too (CLI: --contrast-target), or leave the alignments out.",
    });
  }
  const hasContrast = options.contrastTargets !== undefined || options.contrastSources !== undefined;
  const attributed = getStepFunction(idOf(options.attributedFunction ?? DEFAULT_ATTRIBUTED_FUNCTION));
  const roles = [
    { role: "Attributed function", stepFunction: attributed },
    ...(options.stepScores ?? []).map((choice) => ({
      role: "Step score",
      stepFunction: getStepFunction(idOf(choice)),
    })),
  ];
  for (const { role, stepFunction } of roles) {
    if (stepFunction.contrast === undefined || hasContrast) continue;
    const { id } = stepFunction;
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${role} "${id}" compares the target with a contrast, and none was given: pass contrastTargets or contrastSources.`,
      {
        hint:
          stepFunction.contrast === "input"
            ? `Give contrastSources (CLI: --contrast-source "<text>"), the prompt to compare with (e.g. without the context), or contrastTargets (--contrast-target "<text>"); or pick a non-contrastive step function.`
            : `Give contrastTargets (CLI: --contrast-target "<text>"), the continuation to compare the target with, or contrastSources (--contrast-source "<text>"); or pick a non-contrastive step function (probability, logprob, ...).`,
        details: {
          stepFunction: id,
          contrast: stepFunction.contrast,
          missing: ["contrastTargets", "contrastSources"],
        },
      },
    );
  }
  if (hasContrast && roles.every(({ stepFunction }) => stepFunction.contrast === undefined)) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      "A contrast was given, but neither the attributed function nor any step score compares with it.",
      {
        hint: "Attribute a contrastive function (e.g. attributedFunction contrast_prob_diff; CLI: --attributed-fn contrast_prob_diff) or add a contrastive step score (contrast_prob, kl_divergence, pcxmi, ...); or leave the contrast out.",
        details: {
          given: [
            ...(options.contrastTargets !== undefined ? ["contrastTargets"] : []),
            ...(options.contrastSources !== undefined ? ["contrastSources"] : []),
          ],
        },
      },
    );
  }
  if (method && attributed.contrast !== undefined && !method.supports.contrastive) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Method "${method.id}" does not attribute contrastive functions such as "${attributed.id}".`,
      {
        hint: `Pick a method that supports them (saliency, integrated_gradients, occlusion, ...; \`tokenscope methods list\`), or record "${attributed.id}" as a step score.`,
        details: { method: method.id, stepFunction: attributed.id },
      },
    );
  }
}
