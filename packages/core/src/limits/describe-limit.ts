import { type LimitName, limits } from "./limits.ts";

/**
 * The bound `name` in words, "at most 10,000 steps (reason)": what a parameter schema puts in its
 * description and in the message of its `max` check, so that the documented bound, the enforced one
 * and the error cannot drift apart.
 */
export function describeLimit(name: LimitName): string {
  const limit = limits[name];
  return `at most ${limit.max.toLocaleString("en-US")} ${limit.unit} (${limit.reason})`;
}
