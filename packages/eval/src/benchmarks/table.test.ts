import { describe, expect, it } from "vitest";
import { itemMetricMeans } from "./plan.ts";
import { differenceWithInterval, meanWithInterval } from "./stats.ts";
import { type BenchmarkRow, benchmarkRow, benchmarkTable, benchmarkTableMarkdown } from "./table.ts";

describe("meanWithInterval", () => {
  it("gives mean ± 1.96·sd/√n with the sample sd (hand-computed)", () => {
    // [0.2, 0.4, 0.6]: mean 0.4, sd = √((0.04 + 0 + 0.04)/2) = 0.2, half-width 1.96·0.2/√3.
    const e = meanWithInterval([0.2, 0.4, 0.6]);
    expect(e.mean).toBeCloseTo(0.4, 12);
    expect(e.sd).toBeCloseTo(0.2, 12);
    expect(e.halfWidth).toBeCloseTo((1.96 * 0.2) / Math.sqrt(3), 12);
    expect(e.low).toBeCloseTo(0.4 - (1.96 * 0.2) / Math.sqrt(3), 12);
    expect(e.n).toBe(3);
  });

  it("drops non-finite values and has no interval below two values", () => {
    expect(meanWithInterval([1, Number.NaN, 3])).toMatchObject({ mean: 2, n: 2, dropped: 1 });
    expect(meanWithInterval([5])).toEqual({
      mean: 5,
      sd: null,
      n: 1,
      halfWidth: null,
      low: null,
      high: null,
      dropped: 0,
    });
    expect(meanWithInterval([]).mean).toBeNull();
  });

  it("differences are paired when aligned, Welch otherwise", () => {
    const paired = differenceWithInterval([0.2, 0.4, 0.6], [0.1, 0.3, 0.2]);
    // Differences [0.1, 0.1, 0.4]: mean 0.2, sd √((0.01 + 0.01 + 0.04)/2) = √0.03.
    expect(paired.paired).toBe(true);
    expect(paired.mean).toBeCloseTo(0.2, 12);
    expect(paired.halfWidth).toBeCloseTo((1.96 * Math.sqrt(0.03)) / Math.sqrt(3), 12);
    const welch = differenceWithInterval([1, 3], [0, 1, 2]);
    // Means 2 and 1; variances 2 and 1: half-width 1.96·√(2/2 + 1/3).
    expect(welch.paired).toBe(false);
    expect(welch.mean).toBeCloseTo(1, 12);
    expect(welch.halfWidth).toBeCloseTo(1.96 * Math.sqrt(1 + 1 / 3), 12);
  });
});

const rows: BenchmarkRow[] = [
  {
    method: "saliency",
    metrics: { soft_ns: [0.2, 0.4, 0.6], rand_soft_ns: [0.1, 0.3, 0.2], soft_nc: [0.5, 0.5, 0.5] },
    seconds: [1, 2, 3],
  },
  { method: "random", metrics: { soft_ns: [0.1, 0.1], rand_soft_ns: [0.2, 0.2] }, seconds: [0.5, 0.5] },
];

describe("benchmarkTable", () => {
  it("summarises each method against its random baseline (hand-computed)", () => {
    const table = benchmarkTable(rows);
    expect(table.metrics).toEqual(["soft_ns", "soft_nc"]);
    expect(table.z).toBe(1.96);
    const [saliency, random] = table.rows;
    expect(saliency!.items).toBe(3);
    const ns = saliency!.cells[0]!;
    expect(ns.metric).toBe("soft_ns");
    expect(ns.value.mean).toBeCloseTo(0.4, 12);
    expect(ns.value.halfWidth).toBeCloseTo(0.2263213, 6);
    expect(ns.random!.mean).toBeCloseTo(0.2, 12);
    expect(ns.random!.halfWidth).toBeCloseTo((1.96 * 0.1) / Math.sqrt(3), 12);
    // Paired differences [0.1, 0.1, 0.4]: 0.2 ± 1.96·√0.03/√3 = 0.2 ± 0.196, above 0.
    expect(ns.versusRandom!.difference.mean).toBeCloseTo(0.2, 12);
    expect(ns.versusRandom!.difference.halfWidth).toBeCloseTo(0.196, 12);
    expect(ns.versusRandom!.logRatio).toBeCloseTo(Math.log(2), 12);
    expect(ns.versusRandom!.beats).toBe(true);
    expect(ns.versusRandom!.significant).toBe(true);
    // No rand_soft_nc: no baseline, no comparison; sd 0 gives a zero-width interval.
    expect(saliency!.cells[1]).toMatchObject({
      random: null,
      versusRandom: null,
      value: { mean: 0.5, halfWidth: 0 },
    });
    expect(saliency!.seconds.mean).toBe(2);
    expect(saliency!.seconds.halfWidth).toBeCloseTo(1.96 / Math.sqrt(3), 12);
    // "random" is below its own baseline here, and has no soft_nc at all.
    expect(random!.cells[0]!.versusRandom).toMatchObject({ beats: false, significant: false });
    expect(random!.cells[1]!.value.mean).toBeNull();
    expect(JSON.parse(JSON.stringify(table))).toEqual(table);
  });

  it("flips the comparison for lower-is-better metrics and keeps the chosen order", () => {
    const table = benchmarkTable(rows, { metrics: ["soft_nc", "soft_ns"], lowerIsBetter: ["soft_ns"] });
    expect(table.metrics).toEqual(["soft_nc", "soft_ns"]);
    expect(table.lowerIsBetter).toEqual(["soft_ns"]);
    expect(table.rows[0]!.cells[1]!.versusRandom!.beats).toBe(false);
    // [-0.1, -0.1] below the baseline with no spread: beats it, interval [-0.1, -0.1] below 0.
    expect(table.rows[1]!.cells[1]!.versusRandom).toMatchObject({ beats: true, significant: true });
    expect(() => benchmarkTable(rows, { metrics: ["aopc"] })).toThrow(
      /No row has values for metric\(s\) aopc/,
    );
  });

  it("a metric named only rand_x still gets a column x", () => {
    expect(benchmarkTable([{ method: "m", metrics: { rand_x: [1] }, seconds: [] }]).metrics).toEqual(["x"]);
  });

  it("renders Markdown with intervals, baselines and marks", () => {
    const markdown = benchmarkTableMarkdown(benchmarkTable(rows));
    expect(markdown).toBe(
      [
        "| method | soft_ns | rand_soft_ns | Δ soft_ns | soft_nc | rand_soft_nc | Δ soft_nc | items | s/item |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        "| saliency | 0.400 ± 0.226 | 0.200 ± 0.113 | +0.200 ± 0.196 ✓ | 0.500 ± 0.000 | — | — | 3 | 2.00 ± 1.13 |",
        "| random | 0.100 ± 0.000 | 0.200 ± 0.000 | -0.100 ± 0.000 ✗ | — | — | — | 2 | 0.50 ± 0.00 |",
        "",
        "Means over items ± the 95% normal-approximation interval half-width (z·sd/√n). rand_: the same metric for random importance (softmax of uniform noise) on the same items; Δ: method − random, paired per item; ✓ beats random with the interval above 0, (✓) beats it within the noise, ✗ does not.",
        "",
      ].join("\n"),
    );
    const plain = benchmarkTableMarkdown(
      benchmarkTable([{ method: "a|b", metrics: { f1: [0.5] }, seconds: [1] }]),
      {
        random: false,
        digits: 2,
      },
    );
    expect(plain.split("\n").slice(0, 3)).toEqual([
      "| method | f1 | items | s/item |",
      "| --- | ---: | ---: | ---: |",
      "| a\\|b | 0.50 | 1 | 1.00 |",
    ]);
  });
});

describe("benchmarkRow and itemMetricMeans", () => {
  it("averages an item's steps and aligns items by index", () => {
    const first = itemMetricMeans([
      { soft_ns: 0.2, rand_soft_ns: 0.1 },
      { soft_ns: 0.4, rand_soft_ns: Number.NaN },
    ]);
    expect(first).toEqual({ soft_ns: 0.30000000000000004, rand_soft_ns: 0.1 });
    expect(itemMetricMeans([{ x: Number.NaN }])).toEqual({ x: Number.NaN });
    const row = benchmarkRow("m", [
      { metrics: first, seconds: 1 },
      { metrics: { soft_ns: 0.5 }, seconds: 2 },
    ]);
    expect(row).toEqual({
      method: "m",
      metrics: { soft_ns: [0.30000000000000004, 0.5], rand_soft_ns: [0.1, Number.NaN] },
      seconds: [1, 2],
    });
  });
});
