import type { MethodSequence, MethodSequenceOutput } from "@tokenscope/core";
import type { Timed } from "./alternate.ts";
import type { CompletenessRow } from "./completeness.ts";
import type { FlopShape } from "./flops.ts";
import type { LlamaRun } from "./llama-run.ts";
import type { MatmulPeak } from "./matmul-peak.ts";
import type { LoopStep } from "./per-step-loop.ts";
import { recordedFlops } from "./recording-model.ts";
import { median, table } from "./table.ts";

/** Captum on PyTorch CPU with OpenBLAS, this setup on these machines (issue 5); not measured here. */
const CAPTUM_SECONDS = { saliency: "3.9–4.5", integratedGradients: "67–77" } as const;

const seconds = (ms: number) => (ms / 1000).toFixed(2);

/** The MatMul peak table. */
export function peakTable(peaks: readonly (MatmulPeak & { when: string })[]): string {
  return table(
    ["when", "MatMul", "GFLOP/s", "runs"],
    peaks.map((entry) => [
      entry.when,
      `[${entry.m}×${entry.k}]·[${entry.k}×${entry.n}]`,
      entry.gflops.toFixed(1),
      `best of ${entry.runs}`,
    ]),
  );
}

function rateRow(name: string, timed: Timed<unknown>, shape: FlopShape, peak: number, how: string): string[] {
  const gflop = recordedFlops(shape, timed.calls) / 1e9;
  const wall = median(timed.ms) / 1000;
  const gradientCalls = timed.calls.filter((call) => call.kind === "gradients");
  const rows = gradientCalls.reduce((total, call) => total + call.rows, 0);
  const inputs = gradientCalls.reduce((total, call) => total + call.inputs, 0);
  return [
    name,
    String(timed.ms.length),
    wall.toFixed(2),
    seconds(Math.min(...timed.ms)),
    `${gradientCalls.length} / ${rows} / ${inputs}`,
    gflop.toFixed(0),
    (gflop / wall).toFixed(1),
    (gflop / wall / peak).toFixed(2),
    how,
  ];
}

const rateHeader = [
  "run",
  "runs",
  "median s",
  "min s",
  "grad calls / rows / distinct inputs",
  "GFLOP",
  "GFLOP/s",
  "of peak",
  "how",
];

/** Largest |ours − loop| over every attributed cell (source and target prefix), and the largest |ours|. */
function difference(output: MethodSequenceOutput, loop: readonly LoopStep[], sequence: MethodSequence) {
  const sources = sequence.source.length;
  const targets = sequence.target.length;
  const hidden = output.source.dims[2]!;
  let worst = 0;
  let scale = 0;
  sequence.steps.forEach((step, index) => {
    const row = loop[index]!;
    for (let position = 0; position < row.length; position++) {
      for (let d = 0; d < hidden; d++) {
        const ours =
          position < sources
            ? output.source.data[(step * sources + position) * hidden + d]!
            : output.target!.data[(step * targets + position - sources) * hidden + d]!;
        worst = Math.max(worst, Math.abs(ours - row.attribution[position * hidden + d]!));
        scale = Math.max(scale, Math.abs(ours));
      }
    }
  });
  return `${worst.toExponential(1)} (max |attribution| ${scale.toExponential(1)})`;
}

/** Largest difference of the IG deltas, and of f(x) − f(x′), between ours and the loop. */
function deltaLine(output: MethodSequenceOutput, loop: readonly LoopStep[]): string {
  const deltas = output.stepScores?.["deltas"] ?? [];
  const inputScores = output.stepScores?.["probability"] ?? [];
  const baselineScores = (output.extras?.["baselineScores"] ?? []) as number[];
  let change = 0;
  loop.forEach((step, index) => {
    const ours = inputScores[index]! - baselineScores[index]!;
    change = Math.max(change, Math.abs(ours - (step.inputScore! - step.baselineScore!)));
  });
  const largest = (values: readonly number[]) => Math.max(...values.map(Math.abs)).toExponential(2);
  return `integrated gradients: max |delta| ours ${largest(deltas)}, loop ${largest(loop.map((step) => step.delta!))}; max |(f(x) − f(x′)) ours − loop| ${change.toExponential(1)}`;
}

/** Tables (a) and (b) of the 12-layer run against `peak` GFLOP/s. */
export function llamaTables(run: LlamaRun, peak: number, igPoints: number): string[] {
  const { shape, sequence, saliency, integratedGradients: ig } = run;
  const compare = (name: string, pair: LlamaRun["saliency"], captum: string) => {
    const ours = median(pair.ours.ms) / 1000;
    const loop = median(pair.loop.ms) / 1000;
    const ratio = `${(loop / ours).toFixed(2)}×`;
    return [
      name,
      ours.toFixed(2),
      loop.toFixed(2),
      ratio,
      difference(pair.ours.value, pair.loop.value, sequence),
      captum,
    ];
  };
  return [
    "\n## (a) our runs: wall time and achieved rate\n",
    table(rateHeader, [
      rateRow("saliency, 16 steps", saliency.ours, shape, peak, "1 call: 1 input, 16 seeds"),
      rateRow(
        `integrated_gradients, ${igPoints} points`,
        ig.ours,
        shape,
        peak,
        "full-length rows, split by the 2 GiB budget",
      ),
    ]),
    "\n## (b) ours vs the per-step loop of Inseq/Captum (same model object, same runtime, alternated)\n",
    table(rateHeader, [
      rateRow("saliency, per-step loop", saliency.loop, shape, peak, "16 calls of 1 row, prefix 48+t"),
      rateRow(
        `integrated_gradients, per-step loop`,
        ig.loop,
        shape,
        peak,
        `16 calls of ${igPoints} rows + 16 forwards of 2 rows`,
      ),
    ]),
    "",
    table(
      [
        "method",
        "ours s",
        "per-step loop s",
        "loop / ours",
        "max |ours − loop|",
        "Captum s (issue 5, not measured here)",
      ],
      [
        compare("saliency", saliency, CAPTUM_SECONDS.saliency),
        compare(`integrated_gradients (${igPoints})`, ig, CAPTUM_SECONDS.integratedGradients),
      ],
    ),
    "",
    deltaLine(ig.ours.value, ig.loop.value),
  ];
}

/** Table (c): completeness error per model, baseline and number of points. */
export function completenessTable(rows: readonly (CompletenessRow & { model: string })[]): string {
  return table(
    [
      "model",
      "baseline",
      "points",
      "max rel. error",
      "median rel. error",
      "max |delta|",
      "min |f(x) − f(x′)|",
      "wall s",
    ],
    rows.map((row) => [
      row.model,
      row.baseline,
      String(row.points),
      row.error.maxRelative.toExponential(2),
      row.error.medianRelative.toExponential(2),
      row.error.maxAbsolute.toExponential(2),
      row.error.minChange.toExponential(2),
      `${seconds(row.ms)}${row.error.nonFinite > 0 ? ` (${row.error.nonFinite} steps not finite)` : ""}`,
    ]),
  );
}
