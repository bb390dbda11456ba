import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { plausibilityMetrics } from "./metrics.ts";
import type { PlausibilityMetric, WordRationale } from "./types.ts";

const folder = dirname(fileURLToPath(import.meta.url));

function isMetric(value: unknown): value is PlausibilityMetric {
  return (
    typeof value === "object" && value !== null && "compute" in value && "kind" in value && "id" in value
  );
}

describe("plausibilityMetrics", () => {
  it("has no duplicate ids and lists every metric defined in the folder", async () => {
    const ids = plausibilityMetrics.map((metric) => metric.id);
    expect(new Set(ids).size).toBe(ids.length);
    const found = new Set<PlausibilityMetric>();
    for (const file of readdirSync(folder).filter(
      (name) => name.endsWith(".ts") && !name.endsWith(".test.ts"),
    )) {
      const module = (await import(new URL(file, import.meta.url).href)) as Record<string, unknown>;
      for (const value of Object.values(module)) if (isMetric(value)) found.add(value);
    }
    expect([...found].filter((metric) => !plausibilityMetrics.includes(metric)).map((m) => m.id)).toEqual([]);
    expect(found.size).toBe(plausibilityMetrics.length);
  });

  it("documents each metric", () => {
    for (const metric of plausibilityMetrics) {
      expect(metric.summary.length).toBeGreaterThan(10);
      expect(metric.description.length).toBeGreaterThan(metric.summary.length);
    }
  });

  it("computes F1 and IOU of word sets by hand", () => {
    const rationale: WordRationale = {
      scores: [5, 4, 3, 2, 1],
      predicted: [true, true, false, false, true],
      human: [true, false, true, false, false],
    };
    const byId = Object.fromEntries(
      plausibilityMetrics.map((metric) => [metric.id, metric.compute(rationale)]),
    );
    // |P| = 3, |H| = 2, |P ∩ H| = 1: F1 = 2/5, IOU = 1/4; AP: 5 (+) P=1 R=1/2; 3 (+) P=2/3 R=1.
    expect(byId["f1"]).toBeCloseTo(0.4, 12);
    expect(byId["iou"]).toBeCloseTo(0.25, 12);
    expect(byId["auprc"]).toBeCloseTo(1 / 2 + 1 / 3, 12);
    const empty: WordRationale = { scores: [], predicted: [], human: [] };
    expect(plausibilityMetrics.find((m) => m.id === "f1")!.compute(empty)).toBe(0);
    expect(plausibilityMetrics.find((m) => m.id === "iou")!.compute(empty)).toBe(0);
  });
});
