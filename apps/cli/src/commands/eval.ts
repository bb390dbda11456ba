import type { Command } from "@commander-js/extra-typings";
import type { ReportLike } from "@tokenscope/eval";
import Table from "cli-table3";
import { type CliIO, printJsonText } from "../io.ts";
import { modelOption } from "../model-options.ts";
import { jsonOption } from "../options.ts";
import { commaList, integer } from "../parsers.ts";
import { createProgressReporter } from "../progress.ts";

/** `--k 0.1,0.2`: fractions; range errors come from the metrics, which say what is allowed. */
export function fractionList(value: string): number[] {
  return commaList(value).map((part) => {
    const number = Number(part);
    if (part.trim() === "" || !Number.isFinite(number)) throw new Error(`"${part}" is not a number`);
    return number;
  });
}

/** Prints an evaluation as the per-step and per-sequence tables (terminal or Markdown) or as JSON. */
export async function printEvaluation(
  io: CliIO,
  report: ReportLike,
  format: { json?: boolean | undefined; md?: boolean | undefined },
): Promise<void> {
  if (format.json) {
    printJsonText(io, `${JSON.stringify({ sequences: report.sequences }, null, 2)}\n`);
    return;
  }
  const { reportTableToMarkdown, sequenceTable, stepTable } = await import("@tokenscope/eval");
  const tables = [
    ["Per attributed step", stepTable(report)],
    ["Per sequence (means over steps)", sequenceTable(report)],
  ] as const;
  for (const [title, table] of tables) {
    if (format.md) {
      io.stdout(`### ${title}\n\n${reportTableToMarkdown(table)}\n\n`);
      continue;
    }
    const rendered = new Table({ head: table.header, style: { head: [], border: [], compact: true } });
    rendered.push(...table.rows);
    io.stdout(`${io.color.bold(title)}\n${rendered.toString()}\n`);
  }
}

/** `tokenscope eval <result> --model <ref>`: faithfulness of a saved attribution. */
export function register(program: Command, io: CliIO): void {
  program
    .command("eval")
    .description(
      "measure how faithful a saved attribution is (ReAGent's soft sufficiency / comprehensiveness, comp/suff@k, AOPC), beside a random baseline",
    )
    .argument("<result>", "a result saved with --out (.json or .json.gz)")
    .addOption(modelOption())
    .option("--metrics <ids>", "comma-separated metric ids (default soft_ns,soft_nc)", commaList)
    .option("--k <fractions>", "fractions of units for comp/suff@k, e.g. 0.1,0.2,0.5", fractionList)
    .option(
      "--samples <n>",
      "mask draws per step for the soft metrics (1 is ReAGent's single draw)",
      integer(1),
    )
    .option("--seed <n>", "seed of the masks and of the random baseline", integer(0))
    .option("--md", "print the tables as Markdown")
    .addOption(jsonOption())
    .action(async (file, options) => {
      const { loadResult } = await import("@tokenscope/core/node");
      const { loadModel } = await import("@tokenscope/models/node");
      const { evaluateResult } = await import("@tokenscope/eval");
      const signal = io.signal ?? new AbortController().signal;
      const result = await loadResult(file, { signal });
      const model = await loadModel(options.model, { signal });
      try {
        const progress = createProgressReporter(io, signal);
        const report = await evaluateResult(result, model, {
          ...(options.metrics ? { metrics: options.metrics } : {}),
          ...(options.k ? { k: options.k } : {}),
          ...(options.samples !== undefined ? { samples: options.samples } : {}),
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
          signal,
          onProgress: progress.onProgress,
        });
        progress.done();
        await printEvaluation(io, report, options);
      } finally {
        await model.dispose?.();
      }
    });
}
