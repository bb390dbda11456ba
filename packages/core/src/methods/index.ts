export type {
  AttributionMethod,
  MethodContext,
  MethodFamily,
  MethodSequence,
  MethodSequenceOutput,
  MethodSupport,
} from "./types.ts";
