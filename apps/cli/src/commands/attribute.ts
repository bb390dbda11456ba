import type { Command } from "@commander-js/extra-typings";
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { type AggregationStep, TokenscopeError } from "tokenscope";
import type { CliIO } from "../io.ts";
import { deviceOption, modelOption, threadsOption } from "../model-options.ts";
import { jsonOption } from "../options.ts";
import { createProgressReporter } from "../progress.ts";
import { printResult } from "./render-result.ts";

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError("expected a positive integer");
  return parsed;
}

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError("expected a whole number ≥ 0");
  return parsed;
}

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!(parsed > 0)) throw new InvalidArgumentError("expected a positive number");
  return parsed;
}

function list(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** `--param name=value`: the value is read as JSON when it parses (numbers, booleans, arrays), else as text. */
function parameter(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const equals = value.indexOf("=");
  if (equals <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`);
  const name = value.slice(0, equals);
  const raw = value.slice(equals + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // a plain string such as "zero"
  }
  return { ...previous, [name]: parsed };
}

/** `tokenscope attribute --model <ref> "<prompt>"`. */
export function register(program: Command, io: CliIO): void {
  program
    .command("attribute")
    .description("attribute each generated (or forced) token to the prompt tokens that drove it")
    .argument("<prompt>", "the prompt text")
    .addOption(modelOption())
    .option("--method <id>", "attribution method (see `tokenscope methods list`)", "saliency")
    .option("--param <name=value>", "a method parameter, validated against its schema; repeatable", parameter)
    .option("--max-new-tokens <n>", "tokens to generate and attribute", positiveInteger, 16)
    .option("--target <text>", "attribute this continuation instead of generating one (forced decoding)")
    .option("--target-prefix <text>", "generate a continuation that starts with this text")
    .option("--attributed-fn <id>", "the step function whose value is attributed", "probability")
    .option("--step-scores <ids>", "step scores to record per generated token (comma-separated)", list, [
      "probability",
    ])
    .addOption(
      new Option("--aggregate <how>", "reduce per-dimension attributions: l2, l1, sum, or none (keep raw)")
        .choices(["l2", "l1", "sum", "none"] as const)
        .default("l2" as const),
    )
    .addOption(
      new Option("--normalize <how>", "per-step L1 normalisation")
        .choices(["step", "none"] as const)
        .default("step" as const),
    )
    .addOption(
      new Option("--baseline <baseline>", "baseline of integrated gradients and occlusion").choices([
        "unk",
        "pad",
        "zero",
      ] as const),
    )
    .option("--n-steps <n>", "interpolation steps of integrated gradients", positiveInteger)
    .option(
      "--tolerance <t>",
      "integrated gradients: refine until |delta| ≤ t × |f(x) − f(baseline)|",
      positiveNumber,
    )
    .option("--attribute-target", "also attribute to earlier generated tokens")
    .option(
      "--step <n>",
      "which generated token colours the prompt text (default: the last)",
      nonNegativeInteger,
    )
    .option("--out <file>", "save the result (.json, or .json.gz for gzip)")
    .addOption(threadsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (prompt, options) => {
      if (prompt.trim().length === 0) {
        throw new TokenscopeError("INVALID_INPUT", "The prompt is empty.", {
          hint: "Give the text to attribute.",
        });
      }
      if (options.target !== undefined && options.targetPrefix !== undefined) {
        throw new TokenscopeError("INVALID_INPUT", "--target and --target-prefix exclude each other.", {
          hint: "Force the whole target with --target, or only its start with --target-prefix.",
        });
      }
      const parameters: Record<string, unknown> = { ...options.param };
      if (options.baseline !== undefined) parameters["baseline"] = options.baseline;
      if (options.nSteps !== undefined) parameters["n_steps"] = options.nSteps;
      if (options.tolerance !== undefined) parameters["tolerance"] = options.tolerance;
      const aggregate: AggregationStep[] = options.aggregate === "none" ? [] : [options.aggregate];

      const { attribute } = await import("tokenscope");
      const { loadModel } = await import("@tokenscope/models/node");
      const controller = new AbortController();
      const interrupt = () => controller.abort(new Error("interrupted"));
      process.once("SIGINT", interrupt);
      const progress = createProgressReporter(io, controller.signal);
      const model = await loadModel(options.model, {
        device: options.device,
        ...(options.threads ? { threads: options.threads } : {}),
      });
      try {
        const result = await attribute(model, prompt, {
          method: options.method,
          parameters,
          attributedFunction: options.attributedFn,
          ...(options.target !== undefined ? { target: options.target } : {}),
          ...(options.targetPrefix !== undefined ? { targetPrefix: options.targetPrefix } : {}),
          generation: { maxNewTokens: options.maxNewTokens },
          stepScores: options.stepScores,
          attributeTarget: Boolean(options.attributeTarget),
          aggregate,
          keepRaw: options.aggregate === "none",
          normalize: options.normalize === "step",
          onProgress: progress.onProgress,
          signal: controller.signal,
        });
        progress.done();
        if (options.out) {
          const { saveResult } = await import("@tokenscope/core/node");
          const written = await saveResult(result, options.out);
          io.stderr(io.color.dim(`saved ${written.join(", ")}\n`));
        }
        if (options.json) {
          const { serializeResult } = await import("tokenscope");
          io.stdout(`${new TextDecoder().decode(serializeResult(result, { precision: "float32" }))}\n`);
          return;
        }
        await printResult(io, result, options.step !== undefined ? { step: options.step } : {});
      } finally {
        progress.done();
        process.off("SIGINT", interrupt);
        await model.dispose?.();
      }
    });
}
