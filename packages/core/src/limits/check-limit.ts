import { TokenscopeError } from "../errors/index.ts";
import { type LimitName, limits } from "./limits.ts";

/**
 * Throws `INVALID_INPUT` when `value` exceeds the named limit (or is not a number), naming `what`
 * ("--n-steps", "n_samples of lime"), the bound and its reason: the one way tokenscope checks a size
 * it was given. Call before any work starts.
 */
export function checkLimit(name: LimitName, value: number, what: string): void {
  const limit = limits[name];
  if (Number.isNaN(value)) {
    throw new TokenscopeError("INVALID_INPUT", `${what} is not a number.`, {
      hint: `Give a number up to ${limit.max.toLocaleString("en-US")} ${limit.unit}.`,
      details: { limit: name, value, max: limit.max },
    });
  }
  if (value > limit.max) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${what} is ${formatValue(value)} ${limit.unit}, above tokenscope's limit of ${limit.max.toLocaleString("en-US")} (${limit.reason}).`,
      {
        hint: "Lower it; the limits are listed in the README under Limits.",
        details: { limit: name, value, max: limit.max },
      },
    );
  }
}

function formatValue(value: number): string {
  return Number.isFinite(value) && Math.abs(value) < 1e15 ? value.toLocaleString("en-US") : String(value);
}
