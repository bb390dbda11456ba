export { canonicalJson } from "./canonical-json.ts";
export { gunzip, gzip, isGzip } from "./gzip.ts";
export { DEFAULT_PRECISION, type Precision, precisions, roundToPrecision } from "./precision.ts";
export type { EncodedTensor, TensorDtype } from "./raw-tensor.ts";
export {
  type SavedResult,
  type SavedSequenceAttribution,
  savedResultSchema,
} from "./result-schema.ts";
export { type ParseOptions, parseResult, type SerializeOptions, serializeResult } from "./serialize.ts";
export { splitResult } from "./split.ts";
export { type ValidateOptions, validateResult } from "./validate.ts";
