import type { Command } from "@commander-js/extra-typings";
import { Option } from "@commander-js/extra-typings";
import {
  type AttributeOptions,
  checkGenerationSettings,
  checkLimit,
  DEFAULT_MAX_NEW_TOKENS,
  getMethod,
  getStepFunction,
  parseGenerationArgs,
  parseParameters,
  type StepFunctionChoice,
  TokenscopeError,
} from "tokenscope";
import { aggregationChoice, checkAggregationBeforeLoading } from "../aggregation-options.ts";
import { hubOptions } from "../download-progress.ts";
import { type CliIO, printJsonText } from "../io.ts";
import { memoryBudgetOption } from "../memory-budget-option.ts";
import { deviceOption, modelOption, reportExecution, threadsOption } from "../model-options.ts";
import { jsonOption } from "../options.ts";
import {
  collect,
  commaList,
  integer,
  jsonObject,
  nameValue,
  outputPath,
  positiveNumber,
} from "../parsers.ts";
import { createProgressReporter } from "../progress.ts";
import { type PromptInput, readPromptFile } from "../prompt-inputs.ts";
import { checkStepAgainstTargets, checkStepBeforeLoading, type StepPlan } from "../step-option.ts";
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

/** Step scores with their `--step-scores-args` parameters; args for an id not listed are an error. */
function stepScoreChoices(
  ids: string[],
  args: Record<string, unknown> | undefined,
): (string | StepFunctionChoice)[] {
  for (const id of Object.keys(args ?? {})) {
    if (!ids.includes(id)) {
      throw inputError(
        `--step-scores-args has arguments for "${id}", which --step-scores does not list.`,
        `Add ${id} to --step-scores.`,
      );
    }
  }
  return ids.map((id) => {
    // Own keys only: a step score named "constructor" must not find Object's.
    const parameters = args && Object.hasOwn(args, id) ? args[id] : undefined;
    if (parameters === undefined) return id;
    if (parameters === null || typeof parameters !== "object" || Array.isArray(parameters)) {
      throw inputError(
        `--step-scores-args: the arguments of "${id}" must be an object.`,
        `e.g. '{"${id}": {...}}'.`,
      );
    }
    return { id, parameters: parameters as Record<string, unknown> };
  });
}

/** `tokenscope attribute --model <ref> "<prompt>" ["<prompt>" ...]`. */
export function register(program: Command, io: CliIO): void {
  program
    .command("attribute")
    .description("attribute each generated (or forced) token to the prompt and earlier tokens that drove it")
    .argument("[prompts...]", "prompt texts (or --input-file)")
    .addOption(modelOption())
    .option(
      "--input-file <file>",
      'prompts, one per line (.jsonl: {"prompt", "target"} per line; "-": standard input, one per line)',
    )
    .option("--method <id>", "attribution method (see `tokenscope methods list`)", "saliency")
    .option("--param <name=value>", "a method parameter, validated against its schema; repeatable", nameValue)
    .option(
      "--max-new-tokens <n>",
      `tokens to generate and attribute (default ${DEFAULT_MAX_NEW_TOKENS}, as the library)`,
      integer(0),
    )
    .option(
      "--generation-args <json>",
      'generation settings, e.g. \'{"temperature": 0.7, "seed": 1}\'',
      jsonObject,
    )
    .option(
      "--target <text>",
      "attribute this continuation (forced decoding); once, or once per prompt",
      collect,
    )
    .option(
      "--target-prefix <text>",
      "generate a continuation that starts with this text; once, or once per prompt",
      collect,
    )
    .option("--attributed-fn <id>", "the step function whose value is attributed", "probability")
    .option(
      "--attributed-fn-args <json>",
      "parameters of the attributed function, e.g. '{\"logprob\": true}'",
      jsonObject,
    )
    .option(
      "--step-scores <ids>",
      'step scores to record per generated token (comma-separated; none: "")',
      commaList,
      ["probability"],
    )
    .option(
      "--step-scores-args <json>",
      'parameters per step score, e.g. \'{"kl_divergence": {"top_k": 5}}\'',
      jsonObject,
    )
    .option(
      "--start-pos <n>",
      "first generated position to attribute (0 = the first generated token)",
      integer(0),
    )
    .option("--end-pos <n>", "one past the last generated position to attribute", integer(1))
    .option(
      "--attribute-target",
      "also attribute to earlier generated tokens (the default for decoder-only models, as Inseq)",
    )
    .option("--no-attribute-target", "attribute to the prompt only")
    .addOption(
      new Option(
        "--aggregate <how>",
        "reduce per-dimension attributions: l2 (default), l1, sum, absmax, mean, max, or none (keep raw vectors)",
      ).choices(["l2", "l1", "sum", "absmax", "mean", "max", "none"] as const),
    )
    .addOption(
      new Option("--merge <unit>", "merge tokens into units after normalising").choices([
        "words",
        "spans",
        "sentences",
      ] as const),
    )
    .option(
      "--merge-args <json>",
      'parameters of the merge, e.g. \'{"reduce": "sum"}\' or \'{"source": [[1, 4]]}\'',
      jsonObject,
    )
    .addOption(
      new Option(
        "--normalize <how>",
        "per-step L1 normalisation (default: the method's, step for most)",
      ).choices(["step", "none"] as const),
    )
    .option("--rescale", "divide by the largest |score| of each sequence (instead of normalising)")
    .addOption(
      new Option("--baseline <baseline>", "baseline of integrated gradients and occlusion").choices([
        "unk",
        "pad",
        "zero",
      ] as const),
    )
    .option("--n-steps <n>", "interpolation steps of integrated gradients", integer(1))
    .option(
      "--tolerance <t>",
      "integrated gradients: refine until |delta| ≤ t × |f(x) − f(baseline)|",
      positiveNumber,
    )
    .option("--step <n>", "which generated token colours the prompt text (default: the last)", integer(0))
    .option("--out <file>", "save the result (.json, or .json.gz for gzip)", outputPath)
    .addOption(
      new Option("--precision <type>", "precision of saved scores (--out, --json)")
        .choices(["float16", "float32", "float64"] as const)
        .default("float32" as const),
    )
    .option("--split-sequences", "with --out: one file per sequence (out-0.json, out-1.json, ...)")
    .option(
      "--viz-path <file>",
      "also write a view of the result: .html (interactive page), .svg or .png (figure, see --plot), .md (tables)",
      outputPath,
    )
    .addOption(plotOption())
    .addOption(memoryBudgetOption())
    .addOption(threadsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (prompts, options) => {
      const inputs = await promptInputs(prompts, options.inputFile);
      const count = inputs.length;
      if (options.target !== undefined && options.targetPrefix !== undefined) {
        throw inputError(
          "--target and --target-prefix exclude each other.",
          "Force the whole target with --target, or only its start with --target-prefix.",
        );
      }
      if (options.rescale && options.normalize === "step") {
        throw inputError(
          "--rescale and --normalize step exclude each other.",
          "Rescale or normalise, not both.",
        );
      }
      if (options.mergeArgs && !options.merge) {
        throw inputError("--merge-args needs --merge.", "Say which units to merge, e.g. --merge spans.");
      }
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
      const generation = {
        maxNewTokens: options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
        ...(options.generationArgs ? parseGenerationArgs(options.generationArgs) : {}),
      };
      const parameters: Record<string, unknown> = { ...options.param };
      if (options.baseline !== undefined) parameters["baseline"] = options.baseline;
      if (options.nSteps !== undefined) parameters["n_steps"] = options.nSteps;
      if (options.tolerance !== undefined) parameters["tolerance"] = options.tolerance;
      const method = getMethod(options.method);
      // Everything the command line names is checked before the model loads: a typo costs no load.
      parseParameters(method.parameters, parameters, method.id);
      const attributedFunction = getStepFunction(options.attributedFn);
      parseParameters(
        attributedFunction.parameters,
        options.attributedFnArgs,
        `Attributed function "${attributedFunction.id}"`,
      );
      const stepScores = stepScoreChoices(options.stepScores, options.stepScoresArgs);
      for (const choice of stepScores) {
        const { id, parameters: args } =
          typeof choice === "string" ? { id: choice, parameters: undefined } : choice;
        parseParameters(getStepFunction(id).parameters, args, `Step score "${id}"`);
      }
      const aggregation = aggregationChoice(
        {
          ...(options.aggregate ? { aggregate: options.aggregate } : {}),
          ...(options.merge ? { merge: options.merge } : {}),
          ...(options.mergeArgs ? { mergeArgs: options.mergeArgs } : {}),
          ...(options.normalize ? { normalize: options.normalize } : {}),
          ...(options.rescale ? { rescale: true } : {}),
        },
        method.normalizeByDefault ?? true,
      );
      checkAggregationBeforeLoading(aggregation);
      const steps =
        options.startPos !== undefined || options.endPos !== undefined
          ? {
              ...(options.startPos !== undefined ? { start: options.startPos } : {}),
              ...(options.endPos !== undefined ? { end: options.endPos } : {}),
            }
          : undefined;
      const stepPlan: StepPlan = {
        step: options.step,
        startPos: options.startPos,
        endPos: options.endPos,
        forcedTargets: targets !== undefined,
        targetPrefixes: prefixes !== undefined,
        maxNewTokens: generation.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
      };
      checkStepBeforeLoading(stepPlan);
      if (options.maxNewTokens !== undefined)
        checkLimit("newTokens", options.maxNewTokens, "--max-new-tokens");
      checkGenerationSettings(generation);
      if (options.plot && !options.vizPath) {
        throw inputError(
          "--plot needs --viz-path.",
          "Say where the figure goes, e.g. --viz-path attribution.svg --plot bar.",
        );
      }
      const views = options.vizPath ? [{ path: options.vizPath }] : [];
      await checkViewTargets(views, options.plot);
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
          method: method.id,
          parameters,
          attributedFunction: options.attributedFnArgs
            ? { id: options.attributedFn, parameters: options.attributedFnArgs }
            : options.attributedFn,
          ...(targets ? { target: targets } : {}),
          ...(prefixes ? { targetPrefix: prefixes } : {}),
          generation,
          stepScores,
          // Undefined unless --attribute-target or --no-attribute-target was given: the library decides.
          ...(options.attributeTarget !== undefined ? { attributeTarget: options.attributeTarget } : {}),
          ...(steps ? { steps } : {}),
          ...aggregation,
          ...(options.memoryBudget !== undefined ? { memoryBudgetBytes: options.memoryBudget } : {}),
          onProgress: progress.onProgress,
          signal,
        };
        const result = await attribute(
          model,
          inputs.map((input) => input.prompt),
          attributeOptions,
        );
        progress.done();
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
      } finally {
        progress.done();
        await model.dispose?.();
      }
    });
}
