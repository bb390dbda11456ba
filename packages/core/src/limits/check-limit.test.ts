import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { checkLimit } from "./check-limit.ts";
import { limits } from "./limits.ts";

describe("checkLimit", () => {
  it("accepts values up to the bound, inclusive", () => {
    expect(() => checkLimit("integrationSteps", limits.integrationSteps.max, "--n-steps")).not.toThrow();
    expect(() => checkLimit("integrationSteps", 1, "--n-steps")).not.toThrow();
  });

  it("refuses a value above the bound with INVALID_INPUT naming what, the bound and why", () => {
    let error: unknown;
    try {
      checkLimit("integrationSteps", 1e9, "--n-steps");
    } catch (caught) {
      error = caught;
    }
    expect(isTokenscopeError(error, "INVALID_INPUT")).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain("--n-steps is 1,000,000,000 steps");
    expect(message).toContain("limit of 10,000");
    expect(message).toContain(limits.integrationSteps.reason);
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({
      max: 10_000,
      value: 1e9,
    });
  });

  it("refuses NaN and infinity", () => {
    expect(() => checkLimit("samples", Number.NaN, "n_samples")).toThrow(/n_samples is not a number/);
    expect(() => checkLimit("samples", Number.POSITIVE_INFINITY, "n_samples")).toThrow(/Infinity samples/);
  });

  it("every limit is a positive finite bound with a unit and a reason", () => {
    for (const [name, limit] of Object.entries(limits)) {
      expect(limit.max, name).toBeGreaterThan(0);
      expect(Number.isFinite(limit.max), name).toBe(true);
      expect(limit.unit.length, name).toBeGreaterThan(0);
      expect(limit.reason.length, name).toBeGreaterThan(10);
    }
  });
});
