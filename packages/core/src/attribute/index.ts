export { aggregationSteps } from "./aggregation-plan.ts";
export { attribute } from "./attribute.ts";
export type { ContrastAlignment } from "./contrast-alignment.ts";
export { checkContrastOptions } from "./contrast-options.ts";
export { checkGenerationSettings, parseGenerationArgs } from "./generation-args.ts";
export { forcedFirstToken } from "./prepare-target.ts";
export { type ScoredSequence, type ScoreStepsOptions, scoreSteps } from "./score-steps.ts";
export {
  type AttributeOptions,
  DEFAULT_ATTRIBUTED_FUNCTION,
  DEFAULT_MAX_NEW_TOKENS,
  DEFAULT_METHOD,
  type GenerationSettings,
  type StepFunctionChoice,
  type StepRange,
} from "./types.ts";
