/**
 * Stable error codes. Codes never change meaning once released: tools and
 * users match on them, so add new codes rather than repurposing old ones.
 */
export const errorCodes = {
  UNKNOWN_ID: "Nothing is registered under this id.",
  DUPLICATE_ID: "Something is already registered under this id.",
  INVALID_PARAMETERS: "Parameters do not match the schema of a method, step function or aggregator.",
  MISSING_CAPABILITY: "The model lacks a capability the method needs.",
  NOT_DIFFERENTIABLE: "A value-only step function was asked for a gradient.",
  INVALID_INPUT: "An argument is malformed (empty prompt, wrong shape, out-of-range index, ...).",
  PROMPT_TOO_LONG: "The prompt does not fit in the model's context window.",
  INVALID_RESULT: "A saved attribution result failed validation.",
  UNSUPPORTED_SCHEMA_VERSION: "A saved result was written by an incompatible schema version.",
  INCOMPATIBLE_RESULTS: "Results cannot be merged because they describe different runs or shapes.",
  MODEL_LOAD_FAILED: "A model could not be loaded from the given reference.",
  UNSUPPORTED_ARCHITECTURE: "The model architecture is not supported.",
  UNSUPPORTED_OPERATOR: "A graph operator has no implementation or gradient rule.",
  API_ERROR: "A remote API answered with an error.",
  RATE_LIMITED: "A remote API refused the request because of its rate limit.",
  ABORTED: "The run was cancelled through its AbortSignal.",
  IO_ERROR: "A file could not be read or written.",
} as const;

/** One of tokenscope's stable error codes. */
export type ErrorCode = keyof typeof errorCodes;
