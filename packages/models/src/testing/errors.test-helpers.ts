import { isTokenscopeError, type TokenscopeError } from "@tokenscope/core";

/** The TokenscopeError `run` throws; fails the test when it throws nothing or something else. */
export function errorOf(run: () => unknown): TokenscopeError {
  try {
    run();
  } catch (error) {
    if (isTokenscopeError(error)) return error;
    throw error;
  }
  throw new Error("expected a TokenscopeError");
}
