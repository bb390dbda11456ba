import { z } from "zod";
import { describeLimit } from "./describe-limit.ts";
import { type LimitName, limits } from "./limits.ts";

/**
 * An integer parameter that sizes work (steps, samples, rows, probes): at least `minimum`, at most
 * the bound `name`, and a value above it fails validation, before any work, with the bound and its
 * reason. Pair it with {@link withLimit} in the description.
 */
export function sizeParameter(name: LimitName, minimum: number) {
  return z.int().min(minimum).max(limits[name].max, describeLimit(name));
}

/** `text` followed by the bound `name` ("At most 10,000 steps (…)."), for a size parameter's docs. */
export function withLimit(text: string, name: LimitName): string {
  const bound = describeLimit(name);
  return `${text} ${bound[0]!.toUpperCase()}${bound.slice(1)}.`;
}
