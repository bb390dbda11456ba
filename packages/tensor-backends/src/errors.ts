/**
 * Errors raised by tensor-backends. This package imports no sibling, so it cannot use
 * core's TokenscopeError; callers can map `code` onto their own codes.
 */

/** Stable error codes; never rename one, only add. */
export const TENSOR_BACKEND_ERROR_CODES = [
  "INVALID_MODEL",
  "UNSUPPORTED_OPERATOR",
  "NOT_DIFFERENTIABLE_PATH",
  "DTYPE_MISMATCH",
  "SHAPE_MISMATCH",
  "RUNTIME_UNAVAILABLE",
  "INVALID_ARGUMENT",
] as const;

/** One of {@link TENSOR_BACKEND_ERROR_CODES}. */
export type TensorBackendErrorCode = (typeof TENSOR_BACKEND_ERROR_CODES)[number];

/** Optional extras of a {@link TensorBackendError}. */
export interface TensorBackendErrorOptions {
  /** What the caller can do about it. */
  hint?: string;
  /** The underlying error, if any. */
  cause?: unknown;
  /** Structured context (node name, op type, ...) for programmatic handling. */
  details?: Record<string, unknown>;
}

/** An error with a stable machine-readable code, a message saying what went wrong and a hint. */
export class TensorBackendError extends Error {
  /** Stable code, safe to switch on. */
  readonly code: TensorBackendErrorCode;
  /** What to do about it. */
  readonly hint: string | undefined;
  /** Structured context for programmatic handling. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: TensorBackendErrorCode, message: string, options: TensorBackendErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TensorBackendError";
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }
}

/** Shorthand: `throw tensorBackendError("INVALID_MODEL", "...", { hint })`. */
export function tensorBackendError(
  code: TensorBackendErrorCode,
  message: string,
  options: TensorBackendErrorOptions = {},
): TensorBackendError {
  return new TensorBackendError(code, message, options);
}

/** True when `value` is a {@link TensorBackendError}, optionally with the given code. */
export function isTensorBackendError(
  value: unknown,
  code?: TensorBackendErrorCode,
): value is TensorBackendError {
  return value instanceof TensorBackendError && (code === undefined || value.code === code);
}
