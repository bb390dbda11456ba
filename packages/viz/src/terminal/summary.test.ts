import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { Ansis } from "ansis";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { formatDuration, formatWithParameters, renderSummary } from "./summary.ts";

const aggregation = [
  { id: "l2", parameters: {} },
  { id: "normalize", parameters: {} },
];

const result = makeResult(
  [
    makeSequence({ source: ["a", "b", "c"], target: ["d", "e"], aggregation }),
    makeSequence({ source: ["f", "g"], target: ["h"], aggregation }),
  ],
  {
    durationMs: 2340,
    info: {
      model: { id: "org/model", revision: "abc123", architecture: "llama" },
      method: { id: "integrated_gradients", parameters: { n_steps: 50, baseline: "zeros" } },
      attributedFunction: { id: "contrast_prob_diff", parameters: { contrast_targets: [" dog"] } },
    },
  },
);

describe("renderSummary", () => {
  it("lists model, method, attributed function, aggregation, sequences and duration", () => {
    expect(renderSummary(result, { color: 0 })).toBe(
      [
        "model        org/model · revision abc123 · llama",
        'method       integrated_gradients(n_steps=50, baseline="zeros")',
        'attributed   contrast_prob_diff(contrast_targets=[" dog"])',
        "aggregation  l2 → normalize",
        "sequences    2 (5 source, 3 generated tokens)",
        "duration     2.34 s · started 2025-01-01T00:00:00.000Z · tokenscope 0.0.0-test",
        "",
      ].join("\n"),
    );
  });

  it("says when nothing was aggregated, when aggregation differs, and when no function was attributed", () => {
    const mixed = makeResult(
      [
        makeSequence({ source: ["a"], target: ["b"] }),
        makeSequence({
          source: ["c"],
          target: ["d"],
          aggregation: [{ id: "words", parameters: { joiner: "" } }],
        }),
      ],
      { info: { attributedFunction: null } },
    );
    const lines = renderSummary(mixed, { color: 0 }).split("\n");
    expect(lines[2]).toBe("attributed   none");
    expect(lines[3]).toBe('aggregation  differs by sequence: none | words(joiner="")');
    expect(
      renderSummary(makeResult([makeSequence({ source: ["a"], target: ["b"] })]), { color: 0 }),
    ).toContain("aggregation  none\n");
  });

  it("dims the labels in colour, cuts lines to columns and escapes control characters", () => {
    const hostile = makeResult([], { info: { model: { id: "evil\u001b[2Jmodel" } } });
    const text = renderSummary(hostile, { color: 3, columns: 24 });
    expect(text).toContain("\u001b[2mmodel\u001b[22m");
    expect(text).toContain("evil␛[2Jmo…");
    expect(renderSummary(hostile, { color: 0, columns: 80 })).toContain("evil␛[2Jmodel");
    expect(text).not.toContain("\u001b[2J");
    for (const line of text.split("\n")) expect(stringWidth(line)).toBeLessThanOrEqual(24);
    expect(new Ansis(0).strip(text).split("\n")[4]).toBe("sequences    0 (0 sourc…");
  });
});

describe("formatDuration", () => {
  it("picks a unit people read at a glance", () => {
    expect(formatDuration(0)).toBe("0 ms");
    expect(formatDuration(850.4)).toBe("850 ms");
    expect(formatDuration(2340)).toBe("2.34 s");
    expect(formatDuration(185_000)).toBe("3 min 5 s");
    expect(formatDuration(3_720_000)).toBe("1 h 2 min");
    expect(formatDuration(Number.NaN)).toBe("unknown");
  });
});

describe("formatWithParameters", () => {
  it("prints parameters as key=value and cuts huge values", () => {
    expect(formatWithParameters("occlusion", {})).toBe("occlusion");
    expect(formatWithParameters("x", { list: Array.from({ length: 50 }, (_, i) => i) })).toBe(
      `x(list=${JSON.stringify(Array.from({ length: 50 }, (_, i) => i)).slice(0, 39)}…)`,
    );
  });
});

describe("renderSummary: where the run computed", () => {
  it("says the device and runtime, and a request that fell back", () => {
    const base = makeResult([]);
    const cpu = {
      ...base,
      info: {
        ...base.info,
        execution: { runtime: "onnxruntime-node", device: "cpu", threads: 2, notes: [] },
      },
    };
    expect(renderSummary(cpu, { color: 0 })).toContain("device       cpu · onnxruntime-node, 2 threads\n");
    const fellBack = {
      ...base,
      info: {
        ...base.info,
        execution: {
          runtime: "onnxruntime-node",
          device: "cpu",
          requestedDevice: "cuda",
          notes: ["no CUDA"],
        },
      },
    };
    expect(renderSummary(fellBack, { color: 0 })).toContain(
      "cpu · onnxruntime-node (cuda requested, unavailable)",
    );
    expect(renderSummary(base, { color: 0 })).not.toContain("device");
  });
});
