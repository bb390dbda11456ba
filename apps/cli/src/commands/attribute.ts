import type { Command } from "@commander-js/extra-typings";
import { type AttributeOptions, checkLimit, TokenscopeError } from "tokenscope";
import {
  addAttributeOptions,
  attributeSettingsFromFlags,
  checkAttributeFlagCombinations,
  precisionOption,
} from "../attribute-flags.ts";
import { hubOptions } from "../download-progress.ts";
import { type CliIO, printJsonText } from "../io.ts";
import { memoryBudgetOption } from "../memory-budget-option.ts";
import { deviceOption, modelOption, reportExecution, threadsOption } from "../model-options.ts";
import { jsonOption } from "../options.ts";
import { commaList, integer, outputPath } from "../parsers.ts";
import { createProgressReporter } from "../progress.ts";
import { type PromptInput, readPromptFile } from "../prompt-inputs.ts";
import { checkStepAgainstTargets, checkStepBeforeLoading, type StepPlan } from "../step-option.ts";
import { printEvaluation } from "./eval.ts";
import { printResult } from "./render-result.ts";
import { checkViewTargets, plotOption, writeViewFiles } from "./view-files.ts";

function inputError(message: string, hint: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint });
}

/** Prompts from the arguments and `--input-file`, with each one's forced target when there is one. */
async function promptInputs(prompts: string[], inputFile: string | undefined): Promise<PromptInput[]> {
  const fromArguments: PromptInput[] = prompts.map((prompt) => ({ prompt }));
  // concat, not push(...): spreading 200,000 prompts as arguments overflows the stack.
  const inputs = inputFile ? fromArguments.concat(await readPromptFile(inputFile)) : fromArguments;
  checkLimit("prompts", inputs.length, "The number of prompts");
  if (inputs.length === 0) {
    throw inputError(
      "No prompt was given.",
      "Give the text to attribute, or --input-file with one prompt per line.",
    );
  }
  const empty = inputs.findIndex((input) => input.prompt.trim().length === 0);
  if (empty >= 0) {
    throw inputError(`Prompt ${empty + 1} is empty.`, "Give the text to attribute.");
  }
  return inputs;
}

/** One value for every prompt, one per prompt, or none; `name` says which option was wrong. */
function perPrompt(values: string[] | undefined, count: number, name: string): string[] | undefined {
  if (!values || values.length === 0) return undefined;
  if (values.length === 1) return new Array(count).fill(values[0]);
  if (values.length !== count) {
    throw inputError(
      `${count} prompts but ${values.length} ${name} values.`,
      `Repeat ${name} once per prompt, or give it once for every prompt.`,
    );
  }
  return values;
}

/** Targets: `--target` (one or one per prompt) or the input file's targets; never both. */
function targetsFor(inputs: PromptInput[], targets: string[] | undefined): string[] | undefined {
  const fromFile = inputs.some((input) => input.target !== undefined);
  if (fromFile && targets) {
    throw inputError("Targets were given both by --target and in the input file.", "Give targets one way.");
  }
  if (fromFile) {
    const missing = inputs.findIndex((input) => input.target === undefined);
    if (missing >= 0) {
      throw inputError(
        `Prompt ${missing + 1} has no target while others do.`,
        "Give every line of the input file a target, or none.",
      );
    }
    return inputs.map((input) => input.target!);
  }
  return perPrompt(targets, inputs.length, "--target");
}

/** `tokenscope attribute --model <ref> "<prompt>" ["<prompt>" ...]`. */
export function register(program: Command, io: CliIO): void {
  const command = program
    .command("attribute")
    .description("attribute each generated (or forced) token to the prompt and earlier tokens that drove it")
    .argument("[prompts...]", "prompt texts (or --input-file)")
    .addOption(modelOption())
    .option(
      "--input-file <file>",
      'prompts, one per line (.jsonl: {"prompt", "target"} per line; "-": standard input, one per line)',
    );
  addAttributeOptions(command)
    .option("--step <n>", "which generated token colours the prompt text (default: the last)", integer(0))
    .option("--out <file>", "save the result (.json, or .json.gz for gzip)", outputPath)
    .addOption(precisionOption("--out, --json"))
    .option("--split-sequences", "with --out: one file per sequence (out-0.json, out-1.json, ...)")
    .option(
      "--viz-path <file>",
      "also write a view of the result: .html (interactive page), .svg or .png (figure, see --plot), .md (tables)",
      outputPath,
    )
    .addOption(plotOption())
    .option(
      "--evaluate <ids>",
      "also measure faithfulness (e.g. soft_ns,soft_nc; see `tokenscope eval`) and store it in the result",
      commaList,
    )
    .addOption(memoryBudgetOption())
    .addOption(threadsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (prompts, options) => {
      const inputs = await promptInputs(prompts, options.inputFile);
      const count = inputs.length;
      checkAttributeFlagCombinations(options);
      if (options.splitSequences && !options.out) {
        throw inputError("--split-sequences needs --out.", "Give the file to write, e.g. --out result.json.");
      }
      const targets = targetsFor(inputs, options.target);
      const emptyTarget = targets?.findIndex((target) => target.length === 0) ?? -1;
      if (targets && emptyTarget >= 0) {
        throw inputError(
          `The target of prompt ${emptyTarget + 1} is empty: a forced target needs at least one token.`,
          "Give the continuation to attribute, or leave --target out to generate it.",
        );
      }
      const prefixes = perPrompt(options.targetPrefix, count, "--target-prefix");
      const contrastTargets = perPrompt(options.contrastTarget, count, "--contrast-target");
      const contrastSources = perPrompt(options.contrastSource, count, "--contrast-source");
      const settings = attributeSettingsFromFlags(options);
      const stepPlan: StepPlan = {
        step: options.step,
        startPos: options.startPos,
        endPos: options.endPos,
        forcedTargets: targets !== undefined,
        targetPrefixes: prefixes !== undefined,
        maxNewTokens: settings.maxNewTokens,
      };
      checkStepBeforeLoading(stepPlan);
      if (options.plot && !options.vizPath) {
        throw inputError(
          "--plot needs --viz-path.",
          "Say where the figure goes, e.g. --viz-path attribution.svg --plot bar.",
        );
      }
      const views = options.vizPath ? [{ path: options.vizPath }] : [];
      await checkViewTargets(views, options.plot);
      // Metric ids are checked before the model loads (an unknown one costs no attribution).
      if (options.evaluate) (await import("@tokenscope/eval")).resolveOptions({ metrics: options.evaluate });
      if (options.out) {
        // `--out` naming a folder, a device or a dangling link is refused before the model loads;
        // with --split-sequences, every file's path (one per prompt), not only the first.
        const { checkWritableFile, perSequencePath } = await import("@tokenscope/core/node");
        const out = options.out;
        const paths = options.splitSequences
          ? Array.from({ length: count }, (_, index) => perSequencePath(out, index))
          : [out];
        for (const path of paths) await checkWritableFile(path);
      }

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
        await checkStepAgainstTargets(model, stepPlan, { forced: targets, prefixes });
        const attributeOptions: AttributeOptions = {
          ...settings.options,
          ...(targets ? { target: targets } : {}),
          ...(prefixes ? { targetPrefix: prefixes } : {}),
          ...(contrastTargets ? { contrastTargets } : {}),
          ...(contrastSources ? { contrastSources } : {}),
          onProgress: progress.onProgress,
          signal,
        };
        const result = await attribute(
          model,
          inputs.map((input) => input.prompt),
          attributeOptions,
        );
        progress.done();
        if (options.evaluate) {
          const { evaluateResult } = await import("@tokenscope/eval");
          const report = await evaluateResult(result, model, { metrics: options.evaluate, signal });
          report.sequences.forEach((evaluated, index) => {
            const sequence = result.sequences[index];
            if (sequence)
              sequence.metrics = {
                steps: evaluated.steps,
                sequence: evaluated.sequence,
                parameters: { ...evaluated.parameters },
              };
          });
        }
        if (options.out) {
          const { saveResult } = await import("@tokenscope/core/node");
          const written = await saveResult(result, options.out, {
            precision: options.precision,
            signal,
            ...(options.splitSequences ? { perSequence: true } : {}),
          });
          io.stderr(io.color.dim(`saved ${written.join(", ")}\n`));
        }
        await writeViewFiles(io, result, views, { plot: options.plot, step: options.step, signal });
        if (options.json) {
          const { serializeResult } = await import("tokenscope");
          printJsonText(
            io,
            new TextDecoder().decode(serializeResult(result, { precision: options.precision })),
          );
          return;
        }
        await printResult(io, result, options.step !== undefined ? { step: options.step } : {});
        if (options.evaluate) {
          await printEvaluation(io, { sequences: result.sequences.map((sequence) => sequence.metrics!) }, {});
        }
      } finally {
        progress.done();
        await model.dispose?.();
      }
    });
}
