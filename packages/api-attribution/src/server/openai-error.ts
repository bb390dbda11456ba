import { isTokenscopeError } from "@tokenscope/core";

/** The `type` of an OpenAI error body. */
export type OpenAiErrorType = "invalid_request_error" | "not_found_error" | "server_error";

/** The JSON body OpenAI answers an error with: `{ error: { message, type, param, code } }`. */
export interface OpenAiErrorBody {
  error: {
    message: string;
    type: OpenAiErrorType;
    /** The request parameter at fault, when one is. */
    param: string | null;
    /** A stable machine-readable code ("context_length_exceeded", "model_not_found", ...), or null. */
    code: string | null;
  };
}

/**
 * An error the server answers with an HTTP status and an OpenAI error body. Thrown by request
 * parsing and handlers; anything else thrown is turned into one by {@link toOpenAiError}.
 */
export class OpenAiError extends Error {
  /** HTTP status of the answer (400, 404, 405, 413, 500, 503). */
  readonly status: number;
  /** OpenAI's error `type`. */
  readonly type: OpenAiErrorType;
  /** The request parameter at fault, or null. */
  readonly param: string | null;
  /** OpenAI's error `code`, or null. */
  readonly code: string | null;

  constructor(
    status: number,
    message: string,
    options: { type?: OpenAiErrorType; param?: string | null; code?: string | null } = {},
  ) {
    super(message);
    this.name = "OpenAiError";
    this.status = status;
    this.type = options.type ?? (status >= 500 ? "server_error" : "invalid_request_error");
    this.param = options.param ?? null;
    this.code = options.code ?? null;
  }

  /** The JSON body of this error. */
  toBody(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A 400 for a bad request parameter `param`. */
export function badParameter(param: string, message: string, code = "invalid_value"): OpenAiError {
  return new OpenAiError(400, message, { param, code });
}

/**
 * Any error as an {@link OpenAiError}: typed tokenscope input errors are the client's fault (400),
 * a cancelled run means the server is stopping (503), anything else is a server error (500).
 */
export function toOpenAiError(error: unknown): OpenAiError {
  if (error instanceof OpenAiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isTokenscopeError(error, "PROMPT_TOO_LONG"))
    return new OpenAiError(400, message, { param: "prompt", code: "context_length_exceeded" });
  if (isTokenscopeError(error, "INVALID_INPUT") || isTokenscopeError(error, "INVALID_PARAMETERS"))
    return new OpenAiError(400, message, { code: "invalid_value" });
  if (isTokenscopeError(error, "ABORTED"))
    return new OpenAiError(503, "The server is shutting down or the request was cancelled.", {
      code: "cancelled",
    });
  return new OpenAiError(500, `The model failed: ${message}`, { code: "internal_error" });
}
