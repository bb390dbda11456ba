export { resolveSelection, type Selection, selectionSchema } from "./layer-selection.ts";
export { decoderInputIds, stepPosition, targetId } from "./sequence-inputs.ts";
export type {
  AttributionMethod,
  MethodContext,
  MethodFamily,
  MethodSequence,
  MethodSequenceOutput,
  MethodSupport,
} from "./types.ts";
