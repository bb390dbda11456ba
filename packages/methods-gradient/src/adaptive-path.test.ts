import { describe, expect, it } from "vitest";
import {
  chooseSplits,
  type PathPoint,
  type PathSegment,
  pathGap,
  refinePath,
  segmentQuadrature,
  splitPoint,
} from "./adaptive-path.ts";
import { type IntegrationMethod, quadrature } from "./quadrature.ts";

/** f(α) = α / sqrt(α² + ε): a step of width sqrt(ε) at α = 0, like RMSNorm at a zero baseline. */
function transition(epsilon: number) {
  return {
    f: (alpha: number) => alpha / Math.sqrt(alpha * alpha + epsilon),
    g: (alpha: number) => epsilon / (alpha * alpha + epsilon) ** 1.5,
  };
}

function uniformError(method: IntegrationMethod, n: number, epsilon: number): number {
  const { f, g } = transition(epsilon);
  const { alphas, weights } = quadrature(method, n);
  let total = 0;
  for (let k = 0; k < n; k++) total += weights[k]! * g(alphas[k]!);
  return Math.abs(total - (f(1) - f(0))) / (f(1) - f(0));
}

async function refineTransition(
  method: IntegrationMethod,
  epsilon: number,
  options: { maxGrading?: number; maxPoints?: number; steps?: number[] } = {},
) {
  const { f, g } = transition(epsilon);
  const calls: PathPoint[][] = [];
  const paths = await refinePath({
    steps: options.steps ?? [0],
    method,
    firstPoints: 16,
    segmentPoints: 8,
    tolerance: 1e-3,
    absoluteFloor: 1e-12,
    maxPoints: options.maxPoints ?? 100_000,
    ...(options.maxGrading !== undefined ? { maxGrading: options.maxGrading } : {}),
    evaluate: async (rows) => {
      calls.push([...rows]);
      // Step s integrates s + 1 copies of the transition, so steps converge differently.
      return {
        derivatives: rows.map((row) => (row.step + 1) * g(row.alpha)),
        values: rows.map((row) => (row.step + 1) * f(row.alpha)),
      };
    },
  });
  return { paths, calls, exact: f(1) - f(0) };
}

describe("segmentQuadrature", () => {
  it("is the plain rule on [0, 1], bit for bit, and exact for cubics on any segment", () => {
    const plain = quadrature("gausslegendre", 5);
    const mapped = segmentQuadrature("gausslegendre", 5, 0, 1);
    expect(mapped.alphas).toEqual(plain.alphas);
    expect(mapped.weights).toEqual(plain.weights);
    const { alphas, weights } = segmentQuadrature("gausslegendre", 2, 0.25, 0.75);
    const cubic = (x: number) => x ** 3 - 2 * x;
    const integral = weights.reduce((total, w, k) => total + w * cubic(alphas[k]!), 0);
    // ∫ x³ − 2x over [1/4, 3/4] = (3⁴ − 1⁴)/(4 · 4⁴) − (9 − 1)/16.
    expect(integral).toBeCloseTo(80 / 1024 - 0.5, 14);
  });

  it("puts the trapezoid's end nodes exactly on the segment's ends", () => {
    const { alphas } = segmentQuadrature("trapezoid", 4, 0.1, 0.3);
    expect(alphas[0]).toBe(0.1);
    expect(alphas[3]).toBe(0.3);
  });
});

describe("splitPoint", () => {
  const nodes = [0.1, 0.3, 0.5, 0.7, 0.9];
  it("bisects when |g| is spread evenly, and when it is zero", () => {
    expect(splitPoint(0, 1, nodes, [1, 1, 1, 1, 1])).toBe(0.5);
    expect(splitPoint(2, 4, [2.5, 3.5], [0, 0])).toBe(3);
  });

  it("cuts close to the end where |g| is concentrated, at most 2^−maxGrading of the segment", () => {
    expect(splitPoint(0, 1, nodes, [100, 1, 1, 1, 1])).toBe(0.25);
    expect(splitPoint(0, 1, nodes, [100, 1, 1, 1, 1], 3)).toBe(0.125);
    expect(splitPoint(0, 1, nodes, [1, 1, 1, 1, 100], 3)).toBe(0.875);
    expect(splitPoint(0, 8, [0.01, 4], [1, 0], 6)).toBe(0.125);
  });
});

describe("chooseSplits", () => {
  const segment = (id: number, gap: number): PathSegment => ({
    id,
    step: 0,
    start: id,
    end: id + 1,
    integral: gap,
    change: 0,
    splitAt: id + 0.5,
  });
  const segments = [segment(0, 1e-3), segment(1, -5e-2), segment(2, 2e-2), segment(3, 1e-4)];

  it("splits the largest gaps until those left sum to half the allowed error", () => {
    // Left unsplit: 1e-3 + 1e-4 ≤ 2e-3 / 2 fails, so three are split; with 4e-3 two suffice.
    expect(chooseSplits(segments, 2e-3, 1000, 16).map((s) => s.id)).toEqual([1, 2, 0]);
    expect(chooseSplits(segments, 4e-3, 1000, 16).map((s) => s.id)).toEqual([1, 2]);
    expect(chooseSplits(segments, 1, 1000, 16)).toEqual([]);
  });

  it("stops at the point budget", () => {
    expect(chooseSplits(segments, 1e-6, 40, 16).map((s) => s.id)).toEqual([1, 2]);
    expect(chooseSplits(segments, 1e-6, 15, 16)).toEqual([]);
  });
});

describe("refinePath", () => {
  it("reaches 1e-3 on a transition of width 1e-5 with a tenth of the points uniform Gauss–Legendre needs", async () => {
    const { paths, exact } = await refineTransition("gausslegendre", 1e-10);
    const path = paths.get(0)!;
    expect(Math.abs(pathGap(path)) / exact).toBeLessThanOrEqual(1e-3);
    expect(uniformError("gausslegendre", 512, 1e-10)).toBeGreaterThan(1e-3);
    expect(uniformError("gausslegendre", 1024, 1e-10)).toBeLessThanOrEqual(1e-3);
    expect(path.points).toBeLessThanOrEqual(160);
    // Deeper grading isolates a single sharp transition faster than bisection.
    const bisected = (await refineTransition("gausslegendre", 1e-10, { maxGrading: 1 })).paths.get(0)!;
    const graded = (await refineTransition("gausslegendre", 1e-10, { maxGrading: 3 })).paths.get(0)!;
    expect(Math.abs(pathGap(graded)) / exact).toBeLessThanOrEqual(1e-3);
    expect(graded.points).toBeLessThan(bisected.points / 2);
  });

  it("reaches 1e-3 with midpoint sums where 1,024 uniform points miss", async () => {
    const { paths, exact } = await refineTransition("riemann_middle", 1e-6);
    const path = paths.get(0)!;
    expect(Math.abs(pathGap(path)) / exact).toBeLessThanOrEqual(1e-3);
    expect(uniformError("riemann_middle", 1024, 1e-6)).toBeGreaterThan(1e-3);
    expect(path.points).toBeLessThanOrEqual(200);
  });

  it("tiles [0, 1] with segments whose gaps are their exact quadrature errors", async () => {
    const { paths } = await refineTransition("gausslegendre", 1e-10);
    const { segments } = paths.get(0)!;
    expect(segments[0]!.start).toBe(0);
    expect(segments.at(-1)!.end).toBe(1);
    for (let s = 1; s < segments.length; s++) expect(segments[s]!.start).toBe(segments[s - 1]!.end);
    const { f, g } = transition(1e-10);
    for (const segment of segments) {
      expect(segment.change).toBeCloseTo(f(segment.end) - f(segment.start), 15);
      // The gap is Σ w g − ∫ g: recompute the 8-point rule independently.
      const { alphas, weights } = segmentQuadrature("gausslegendre", 8, segment.start, segment.end);
      const integral = weights.reduce((total, w, k) => total + w * g(alphas[k]!), 0);
      if (segment.end - segment.start < 1) expect(segment.integral).toBeCloseTo(integral, 12);
    }
  });

  it("without a tolerance evaluates exactly the plain rule in one call, every step at one α adjacent", async () => {
    const calls: PathPoint[][] = [];
    const paths = await refinePath({
      steps: [0, 2],
      method: "riemann_left",
      firstPoints: 3,
      segmentPoints: 8,
      tolerance: undefined,
      absoluteFloor: 1e-12,
      maxPoints: 512,
      evaluate: async (rows) => {
        calls.push([...rows]);
        return { derivatives: rows.map(() => 1), values: rows.map((row) => row.alpha + row.step) };
      },
    });
    expect(calls).toHaveLength(1);
    // α = 0 is both a value row and riemann_left's first node; at equal α and step, rows keep their order.
    const at = (alpha: number, weight: number) =>
      [0, 2].map((step) => ({ step, alpha, weight, segment: step / 2 }));
    expect(calls[0]).toEqual([
      ...[0, 2].flatMap((step) => [
        { step, alpha: 0, weight: 0, segment: -1 },
        { step, alpha: 0, weight: 1 / 3, segment: step / 2 },
      ]),
      ...at(1 / 3, 1 / 3),
      ...at(2 / 3, 1 / 3),
      ...[0, 2].map((step) => ({ step, alpha: 1, weight: 0, segment: -1 })),
    ]);
    expect(paths.get(2)).toMatchObject({ inputValue: 3, baselineValue: 2, points: 3, rounds: 1 });
    expect(pathGap(paths.get(2)!)).toBeCloseTo(0, 15);
  });

  it("batches each round in one call, sorted by α, with only the unconverged steps", async () => {
    const { paths, calls } = await refineTransition("gausslegendre", 1e-6, { steps: [0, 1, 2] });
    expect(calls.length).toBeGreaterThan(2);
    for (const rows of calls.slice(1)) {
      for (let r = 1; r < rows.length; r++) {
        const [a, b] = [rows[r - 1]!, rows[r]!];
        expect(a.alpha < b.alpha || (a.alpha === b.alpha && a.step < b.step)).toBe(true);
      }
    }
    for (const [step, path] of paths) {
      expect(Math.abs(pathGap(path))).toBeLessThanOrEqual(1e-3 * (path.inputValue - path.baselineValue));
      // A step takes part in exactly as many calls as it has rounds.
      expect(calls.filter((rows) => rows.some((row) => row.step === step))).toHaveLength(path.rounds);
      // Weighted rows evaluated for the step = its recorded points.
      const weighted = calls.flat().filter((row) => row.step === step && row.weight > 0);
      expect(weighted).toHaveLength(path.points);
    }
  });

  it("stops at maxPoints and reuses a node on the split instead of a value-only row", async () => {
    const { paths } = await refineTransition("gausslegendre", 1e-10, { maxPoints: 48 });
    const path = paths.get(0)!;
    expect(path.points).toBeLessThanOrEqual(48);
    expect(Math.abs(pathGap(path)) / 2).toBeGreaterThan(1e-3);
    const trapezoid = await refineTransition("trapezoid", 1e-6);
    const valueOnly = trapezoid.calls
      .slice(1)
      .flat()
      .filter((row) => row.weight === 0);
    // Every split point is a trapezoid node of the segments it bounds: no value-only rows after round 1.
    expect(valueOnly).toEqual([]);
  });
});
