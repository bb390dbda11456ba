export { attributeContext } from "./attribute-context.ts";
export { type SelectedTokens, scoresThreshold, selectTokens, type TokenSelection } from "./select-tokens.ts";
export { type FilledTemplate, fillTemplate } from "./templates.ts";
export type {
  AttributeContextOptions,
  ContextAttribution,
  ContextCue,
  ContextCueImputation,
} from "./types.ts";
