import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "@commander-js/extra-typings";
import type { DatasetItem } from "@tokenscope/eval";
import { type AttributeOptions, type AttributionResult, TokenscopeError } from "tokenscope";
import {
  addAttributeOptions,
  attributeSettingsFromFlags,
  checkAttributeFlagCombinations,
  precisionOption,
} from "../attribute-flags.ts";
import { hubOptions } from "../download-progress.ts";
import type { CliIO } from "../io.ts";
import { memoryBudgetOption } from "../memory-budget-option.ts";
import { deviceOption, modelOption, reportExecution, threadsOption } from "../model-options.ts";
import { createProgressReporter } from "../progress.ts";
import { checkStepAgainstTargets, checkStepBeforeLoading, type StepPlan } from "../step-option.ts";
import { readTextFile } from "../text-file.ts";

function inputError(message: string, hint: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint });
}

/** The items of the dataset file: read bounded, UTF-8 only, in the format its name says. */
async function readDataset(
  file: string,
  column: string | undefined,
  targetColumn: string | undefined,
): Promise<DatasetItem[]> {
  const { datasetFormatOf, parseDatasetItems } = await import("@tokenscope/eval");
  const text = await readTextFile(
    file,
    "dataset",
    "Split the dataset over several runs (each its own --out-dir).",
  );
  return parseDatasetItems(text, {
    format: datasetFormatOf(file),
    source: file,
    ...(column !== undefined ? { column } : {}),
    ...(targetColumn !== undefined ? { targetColumn } : {}),
  });
}

/** A flag given once applies to every item; more than once is refused (items differ by file only). */
function once(values: string[] | undefined, name: string): string | undefined {
  if (!values || values.length === 0) return undefined;
  if (values.length > 1) {
    throw inputError(
      `${name} is given ${values.length} times: attribute-dataset takes it once, for every item.`,
      name === "--target"
        ? "Give each item its own target with --target-column (a field of the .jsonl, a column of the .csv)."
        : `Give ${name} once.`,
    );
  }
  return values[0];
}

/**
 * `tokenscope attribute-dataset --model <ref> --input <file> --out-dir <dir>`: attributes every item
 * of a dataset with the options of `tokenscope attribute`, one result file per item plus an
 * `index.json`, resumable after any interruption.
 */
export function register(program: Command, io: CliIO): void {
  const command = program
    .command("attribute-dataset")
    .description(
      "attribute every prompt of a dataset, one result file per item; stopped at any point (Ctrl-C, a kill, a crash), the same command resumes it",
    )
    .addOption(modelOption())
    .requiredOption(
      "--input <file>",
      'the dataset: .txt (one prompt per line), .jsonl (one object per line, the prompt in "text" or "prompt") or .csv (RFC 4180, header row)',
    )
    .option(
      "--column <name>",
      '.jsonl field or .csv column holding the prompt (default "text", else "prompt")',
    )
    .option("--target-column <name>", ".jsonl field or .csv column holding a forced target per item")
    .requiredOption(
      "--out-dir <dir>",
      "folder of the run: item-00001.json, ... and index.json; a new or empty folder, or the folder of the run to resume",
    );
  addAttributeOptions(command)
    .addOption(precisionOption("the item files"))
    .addOption(memoryBudgetOption())
    .addOption(threadsOption())
    .addOption(deviceOption())
    .action(async (options) => {
      checkAttributeFlagCombinations(options);
      const target = once(options.target, "--target");
      const targetPrefix = once(options.targetPrefix, "--target-prefix");
      const contrastTarget = once(options.contrastTarget, "--contrast-target");
      const contrastSource = once(options.contrastSource, "--contrast-source");
      if (target !== undefined && options.targetColumn !== undefined) {
        throw inputError(
          "Targets were given both by --target and by --target-column.",
          "Give targets one way.",
        );
      }
      if (target !== undefined && target.length === 0) {
        throw inputError(
          "The --target is empty: a forced target needs at least one token.",
          "Give the continuation to attribute, or leave --target out to generate it.",
        );
      }
      const items = await readDataset(options.input, options.column, options.targetColumn);
      const targets =
        target !== undefined
          ? items.map(() => target)
          : options.targetColumn !== undefined
            ? items.map((item) => item.target!)
            : undefined;
      const settings = attributeSettingsFromFlags(options);
      const stepPlan: StepPlan = {
        startPos: options.startPos,
        endPos: options.endPos,
        forcedTargets: targets !== undefined,
        targetPrefixes: targetPrefix !== undefined,
        maxNewTokens: settings.maxNewTokens,
      };
      checkStepBeforeLoading(stepPlan);
      const { serializeResult, parseResult } = await import("tokenscope");
      const { contentKey, runFingerprint, runItems } = await import("@tokenscope/eval");
      const { createFileRunStore } = await import("@tokenscope/eval/node");
      const { memoryBudgetBytes: _budget, ...attribution } = settings.options;
      // Everything that changes an item's result: resuming with anything else is refused.
      const runSettings = {
        command: "attribute-dataset",
        model: existsSync(options.model) ? resolve(options.model) : options.model,
        device: options.device,
        attribution,
        target: target ?? null,
        targetPrefix: targetPrefix ?? null,
        contrastTarget: contrastTarget ?? null,
        contrastSource: contrastSource ?? null,
        precision: options.precision,
      };
      const store = createFileRunStore<AttributionResult>(options.outDir, {
        serialize: (result) => serializeResult(result, { precision: options.precision }),
        deserialize: (bytes, file) => parseResult(bytes, { source: file }),
      });
      const attributeItems = async (): Promise<void> => {
        const { attribute } = await import("tokenscope");
        const { loadModel } = await import("@tokenscope/models/node");
        const signal = io.signal ?? new AbortController().signal;
        const progress = createProgressReporter(io, signal);
        const model = await loadModel(options.model, {
          ...hubOptions(io),
          device: options.device,
          ...(options.threads ? { threads: options.threads } : {}),
        });
        reportExecution(io, model.info);
        try {
          await checkStepAgainstTargets(model, stepPlan, {
            forced: targets,
            prefixes: targetPrefix !== undefined ? items.map(() => targetPrefix) : undefined,
          });
          let before: number | undefined;
          const outcome = await runItems<DatasetItem, AttributionResult>({
            items,
            key: (item, index) =>
              contentKey({ prompt: item.prompt, target: targets?.[index] ?? null }, index),
            store,
            settings: runSettings,
            signal,
            work: (item, index, itemSignal) => {
              const attributeOptions: AttributeOptions = {
                ...settings.options,
                ...(targets ? { target: [targets[index]!] } : {}),
                ...(targetPrefix !== undefined ? { targetPrefix: [targetPrefix] } : {}),
                ...(contrastTarget !== undefined ? { contrastTargets: [contrastTarget] } : {}),
                ...(contrastSource !== undefined ? { contrastSources: [contrastSource] } : {}),
                signal: itemSignal,
              };
              return attribute(model, [item.prompt], attributeOptions);
            },
            onProgress: (event) => {
              // The first event comes before any item runs: its count is the items done before.
              before ??= event.completed;
              if (io.progressOutput) {
                // The bar's own rate and ETA must count this session's items only (skipped ones took no time).
                progress.onProgress({
                  phase: "items",
                  completed: event.completed - before,
                  total: event.total - before,
                  message: `items ${event.completed}/${event.total}${before > 0 ? ` (${before} done before)` : ""}`,
                });
              } else if (event.message && event.completed > 0) {
                io.stderr(io.color.dim(`${event.message}\n`));
              }
            },
          });
          progress.done();
          const summary =
            outcome.skipped > 0
              ? `${outcome.ran} run now, ${outcome.skipped} done before`
              : `${outcome.ran} run`;
          io.stdout(
            `${outcome.total} items (${summary}) in ${options.outDir}: one result file each, listed in index.json\n`,
          );
        } finally {
          progress.done();
          await model.dispose?.();
        }
      };
      // Opened before the model loads: a folder of another run (or of other files) costs no load.
      await store.open({ fingerprint: runFingerprint(runSettings), settings: runSettings });
      try {
        await attributeItems();
      } finally {
        await store.close?.();
      }
    });
}
