import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { type ErrorCode, isTokenscopeError, type TokenscopeError } from "../errors/index.ts";

/**
 * A temporary root for one test file, removed after its tests, and `scratch()`: a fresh empty folder
 * per test, so that "nothing else is left" can be checked by listing it.
 */
export function scratchFolders(prefix: string): { root: string; scratch: () => string } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let counter = 0;
  return {
    root,
    scratch: () => {
      const folder = join(root, `case-${counter++}`);
      mkdirSync(folder);
      return folder;
    },
  };
}

/** The TokenscopeError with `code` that `promise` rejects with; any other outcome fails the test. */
export async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<TokenscopeError> {
  try {
    await promise;
  } catch (error) {
    if (isTokenscopeError(error, code)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}
