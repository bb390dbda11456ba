import { describe, expect, it } from "vitest";
import { newExperimentLog } from "./experiment-log.ts";
import {
  experimentsTable,
  logToJson,
  logToMarkdown,
  matrixTable,
  perturbationsTable,
  tableToCsv,
  tableToMarkdown,
  unitTable,
} from "./render-log.ts";

function sampleLog() {
  const log = newExperimentLog();
  log.add({
    prompt: "The capital of France is",
    output: " Paris.",
    unit: "word",
    perturbation: "removal",
    method: "api_perturbation",
    strategies: ["prob_diff", "logprob"],
    requests: 12,
    durationMs: 1500,
    units: ["The", " capital", ' "France|\u001b[31m'],
    targets: [" Paris", "."],
    unitScores: { prob_diff: [0, 0.1, 0.85], logprob: [0.01, null, 2.89] },
    matrices: {
      prob_diff: [
        [0, 0.2, 0.85],
        [0, 0, 0],
      ],
      logprob: [
        [0.01, null, 2.89],
        [0, 0, 0.5],
      ],
    },
    perturbations: [
      {
        depth: 0,
        units: [2],
        removed: " France",
        perturbedPrompt: "The capital of is",
        perturbedOutput: " Rome,\n",
        scores: { prob_diff: 0.425, logprob: 1.7 },
      },
    ],
  });
  return log;
}

describe("the experiment log", () => {
  it("numbers experiments and gives the seed's tables", () => {
    const log = sampleLog();
    expect(log.experiments[0]!.id).toBe(1);
    expect(experimentsTable(log).rows[0]).toEqual([
      "1",
      "The capital of France is",
      " Paris.",
      "word",
      "removal",
      "api_perturbation",
      "prob_diff, logprob",
      "12",
      "1.50",
    ]);
    expect(unitTable(log).rows).toEqual([
      ["The", "0.000", "0.010"],
      [" capital", "0.100", ""],
      [' "France|\u001b[31m', "0.850", "2.890"],
    ]);
    expect(matrixTable(log, 1, "logprob", 2).rows).toEqual([
      [" Paris", "0.01", "", "2.89"],
      [".", "0.00", "0.00", "0.50"],
    ]);
    expect(() => matrixTable(log, 1, "cosine")).toThrow(/no cosine matrix/);
    expect(() => unitTable(log, 7)).toThrow(/no experiment 7/);
  });

  it("renders Markdown with escaped, visible cells and CSV with RFC 4180 quoting; JSON round-trips", () => {
    const log = sampleLog();
    const markdown = tableToMarkdown(unitTable(log));
    expect(markdown.split("\n")[4]).toBe('| ␣"France\\|␛\\[31m | 0.850 | 2.890 |');
    expect(markdown).not.toContain("\u001b");
    const csv = tableToCsv(perturbationsTable(log));
    expect(csv).toBe(
      'depth,changed,perturbed prompt,perturbed output,prob_diff,logprob\r\n0," France",The capital of is," Rome,\n",0.425,1.700\r\n',
    );
    expect(JSON.parse(logToJson(log)).experiments[0].unitScores.logprob).toEqual([0.01, null, 2.89]);
    const whole = logToMarkdown(log);
    expect(whole).toContain("## Experiment 1: unit attribution");
    expect(whole).toContain("### logprob matrix");
    expect(whole).toContain("### Perturbations");
  });
});
