import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parameterJsonSchema } from "../schema/parameters.ts";
import { aggregators, builtinAggregators } from "./index.ts";
import type { Aggregator } from "./types.ts";

const folder = dirname(fileURLToPath(import.meta.url));

function isAggregator(value: unknown): value is Aggregator {
  return typeof value === "object" && value !== null && "apply" in value && "kind" in value && "id" in value;
}

describe("builtinAggregators", () => {
  it("has no duplicate ids and every entry is keyed by its id in `aggregators`", () => {
    const ids = builtinAggregators.map((aggregator) => aggregator.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [key, aggregator] of Object.entries(aggregators)) expect(aggregator.id).toBe(key);
  });

  it("lists every aggregator defined in the folder", async () => {
    const files = readdirSync(folder).filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"));
    const found: Aggregator[] = [];
    for (const file of files) {
      const module = (await import(`./${file}`)) as Record<string, unknown>;
      found.push(...Object.values(module).filter(isAggregator));
    }
    const unlisted = found.filter((aggregator) => !builtinAggregators.includes(aggregator)).map((a) => a.id);
    expect(unlisted).toEqual([]);
    expect(new Set(found).size).toBe(builtinAggregators.length);
  });

  it("documents each aggregator and exposes its parameters as JSON Schema", () => {
    for (const aggregator of builtinAggregators) {
      expect(["dimension", "normalize", "units", "sparsify"]).toContain(aggregator.kind);
      expect(aggregator.summary.length).toBeGreaterThan(10);
      expect(aggregator.description.length).toBeGreaterThan(aggregator.summary.length);
      expect(parameterJsonSchema(aggregator.parameters)).toMatchObject({ type: "object" });
    }
  });
});
