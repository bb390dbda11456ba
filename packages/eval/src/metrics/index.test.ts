import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as metrics from "./index.ts";
import { metricDefinitions } from "./index.ts";

const helpers = new Set([
  "index.ts",
  "types.ts",
  "distribution.ts",
  "erasure-counts.ts",
  "forward-probes.ts",
  "importance.ts",
  "noise.ts",
]);

describe("the metric list", () => {
  it("has no duplicate ids and documents every metric", () => {
    const ids = metricDefinitions.map((definition) => definition.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const definition of metricDefinitions) {
      expect(definition.summary.length).toBeGreaterThan(10);
      expect(definition.description.length).toBeGreaterThan(30);
    }
  });

  it("lists every metric file of the folder", () => {
    const folder = fileURLToPath(new URL(".", import.meta.url));
    const files = readdirSync(folder).filter(
      (file) => file.endsWith(".ts") && !file.includes(".test") && !helpers.has(file),
    );
    const exported = Object.values(metrics).filter((value) => metricDefinitions.includes(value as never));
    expect(files.length).toBe(metricDefinitions.length);
    expect(exported.length).toBe(metricDefinitions.length);
  });
});
