import { type ErrorCode, isTokenscopeError } from "tokenscope";

/**
 * Exit codes of the `tokenscope` command (documented in the README and in
 * `tokenscope --help`). Stable: scripts depend on them.
 */
export const exitCodes = {
  ok: 0,
  /** An unexpected failure (a bug: please report it). */
  internal: 1,
  /** Bad command line: unknown command or option, missing argument, malformed or out-of-range value. */
  usage: 2,
  /**
   * Bad input: unknown id, invalid parameters or arguments, invalid saved result, missing capability,
   * a plugin that fails to load or register.
   */
  input: 3,
  /**
   * A model, graph or file could not be loaded or written: missing, damaged, truncated, a Git LFS
   * pointer, sizes beyond the limits; permissions, a read-only or full disk.
   */
  resource: 4,
  /** A remote API or the network failed, or rate-limited the run. */
  remote: 5,
  /** Cancelled (Ctrl-C or AbortSignal). */
  cancelled: 130,
} as const;

const codeToExit: Record<ErrorCode, number> = {
  UNKNOWN_ID: exitCodes.input,
  DUPLICATE_ID: exitCodes.input,
  INVALID_PARAMETERS: exitCodes.input,
  MISSING_CAPABILITY: exitCodes.input,
  NOT_DIFFERENTIABLE: exitCodes.input,
  INVALID_INPUT: exitCodes.input,
  PROMPT_TOO_LONG: exitCodes.input,
  INVALID_RESULT: exitCodes.input,
  UNSUPPORTED_SCHEMA_VERSION: exitCodes.input,
  INCOMPATIBLE_RESULTS: exitCodes.input,
  MODEL_LOAD_FAILED: exitCodes.resource,
  UNSUPPORTED_ARCHITECTURE: exitCodes.resource,
  UNSUPPORTED_OPERATOR: exitCodes.resource,
  IO_ERROR: exitCodes.resource,
  API_ERROR: exitCodes.remote,
  RATE_LIMITED: exitCodes.remote,
  ABORTED: exitCodes.cancelled,
};

/** Codes of @tokenscope/tensor-backends errors (that package imports no sibling, so has its own). */
const tensorBackendCodeToExit: Record<string, number> = {
  INVALID_MODEL: exitCodes.resource,
  UNSUPPORTED_OPERATOR: exitCodes.resource,
  RUNTIME_UNAVAILABLE: exitCodes.resource,
  NOT_DIFFERENTIABLE_PATH: exitCodes.input,
  DTYPE_MISMATCH: exitCodes.input,
  SHAPE_MISMATCH: exitCodes.input,
  INVALID_ARGUMENT: exitCodes.input,
};

/**
 * Node system errors that mean a file or folder could not be read or written: the user's paths or
 * disk, not a bug. Programming errors (ERR_INVALID_ARG_VALUE, ERR_INVALID_ARG_TYPE, ...) stay 1.
 */
const systemCodeToExit: Record<string, number> = {
  ENOENT: exitCodes.resource,
  EACCES: exitCodes.resource,
  EPERM: exitCodes.resource,
  EISDIR: exitCodes.resource,
  ENOTDIR: exitCodes.resource,
  ENOTEMPTY: exitCodes.resource,
  EEXIST: exitCodes.resource,
  EROFS: exitCodes.resource,
  ENOSPC: exitCodes.resource,
  EDQUOT: exitCodes.resource,
  EFBIG: exitCodes.resource,
  ELOOP: exitCodes.resource,
  ENAMETOOLONG: exitCodes.resource,
  EMFILE: exitCodes.resource,
  ENFILE: exitCodes.resource,
  EBUSY: exitCodes.resource,
  ETXTBSY: exitCodes.resource,
  EXDEV: exitCodes.resource,
  EIO: exitCodes.resource,
  // A network failure outside the hub client (which wraps its own): the remote end, not a bug.
  ECONNREFUSED: exitCodes.remote,
  ECONNRESET: exitCodes.remote,
  ETIMEDOUT: exitCodes.remote,
  ENOTFOUND: exitCodes.remote,
  EAI_AGAIN: exitCodes.remote,
  EHOSTUNREACH: exitCodes.remote,
  ENETUNREACH: exitCodes.remote,
};

/** `table[code]` for the table's own keys only: a code such as "constructor" must not find Object's. */
function lookUp(table: Readonly<Record<string, number>>, code: string): number | undefined {
  return Object.hasOwn(table, code) ? table[code] : undefined;
}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (isTokenscopeError(error)) return lookUp(codeToExit, error.code) ?? exitCodes.internal;
  // An AbortSignal's own reason (a DOMException whose numeric code means nothing here).
  if (error instanceof Error && error.name === "AbortError") return exitCodes.cancelled;
  if (error instanceof Error && "code" in error) {
    const code = String(error.code);
    const table = error.name === "TensorBackendError" ? tensorBackendCodeToExit : systemCodeToExit;
    return lookUp(table, code) ?? exitCodes.internal;
  }
  return exitCodes.internal;
}

/** The stable code and hint of a typed error from any tokenscope package, or undefined. */
export function typedErrorParts(error: unknown): { code: string; hint: string | undefined } | undefined {
  if (isTokenscopeError(error)) return { code: error.code, hint: undefined }; // its message includes the hint
  if (error instanceof Error && error.name === "TensorBackendError" && "code" in error) {
    return { code: String(error.code), hint: (error as { hint?: string }).hint };
  }
  return undefined;
}
