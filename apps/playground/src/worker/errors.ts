import { isTokenscopeError } from "tokenscope";

/** An error as the page shows it: tokenscope's code, message and hint, or the plain message. */
export function errorMessage(error: unknown): { code: string; message: string; hint?: string } {
  if (isTokenscopeError(error)) {
    return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  }
  return { code: "ERROR", message: error instanceof Error ? error.message : String(error) };
}
