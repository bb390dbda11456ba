import { TokenscopeError } from "tokenscope";
import { describe, expect, it } from "vitest";
import { exitCodeFor, exitCodes } from "./exit-codes.ts";

/** A Node system error as fs raises it. */
function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: operation failed`), { code });
}

describe("exitCodeFor", () => {
  it.each([
    "ENOENT",
    "EACCES",
    "EPERM",
    "EISDIR",
    "ENOTDIR",
    "EROFS",
    "ENOSPC",
    "ELOOP",
    "ENAMETOOLONG",
    "EEXIST",
  ])("maps the file-system error %s to 4: the user's path or disk, not a bug", (code) => {
    expect(exitCodeFor(systemError(code))).toBe(exitCodes.resource);
  });

  it("maps network failures outside the hub client to 5", () => {
    expect(exitCodeFor(systemError("ECONNREFUSED"))).toBe(exitCodes.remote);
    expect(exitCodeFor(systemError("ENOTFOUND"))).toBe(exitCodes.remote);
  });

  it("keeps programming errors at 1", () => {
    expect(exitCodeFor(systemError("ERR_INVALID_ARG_VALUE"))).toBe(exitCodes.internal);
    expect(exitCodeFor(systemError("ERR_INVALID_ARG_TYPE"))).toBe(exitCodes.internal);
    expect(exitCodeFor(new TypeError("x is undefined"))).toBe(exitCodes.internal);
    expect(exitCodeFor("a string")).toBe(exitCodes.internal);
  });

  it("never reads a code off Object's prototype (a hostile error's code is data)", () => {
    for (const code of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(exitCodeFor(systemError(code)), code).toBe(exitCodes.internal);
    }
  });

  it("maps an AbortSignal's own AbortError to 130", () => {
    const controller = new AbortController();
    controller.abort();
    expect(exitCodeFor(controller.signal.reason)).toBe(exitCodes.cancelled);
  });

  it("maps typed errors by their code", () => {
    expect(exitCodeFor(new TokenscopeError("INVALID_INPUT", "bad"))).toBe(exitCodes.input);
    expect(exitCodeFor(new TokenscopeError("MODEL_LOAD_FAILED", "bad"))).toBe(exitCodes.resource);
  });
});
