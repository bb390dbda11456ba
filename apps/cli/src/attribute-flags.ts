import { type Command, Option, type OptionValues } from "@commander-js/extra-typings";
import {
  type AttributeOptions,
  type ContrastAlignment,
  checkContrastOptions,
  checkGenerationSettings,
  checkLimit,
  DEFAULT_MAX_NEW_TOKENS,
  type GenerationOptions,
  getMethod,
  getStepFunction,
  parseGenerationArgs,
  parseParameters,
  type StepFunctionChoice,
  TokenscopeError,
} from "tokenscope";
import { aggregationChoice, checkAggregationBeforeLoading } from "./aggregation-options.ts";
import {
  collect,
  commaList,
  contrastAlignments,
  integer,
  jsonObject,
  nameValue,
  positiveNumber,
} from "./parsers.ts";

/*
 * The attribution options shared by `tokenscope attribute` and `tokenscope attribute-dataset`: how
 * they are declared, and how the parsed flags become attribute()'s options. One place, so the two
 * commands cannot drift apart.
 */

function inputError(message: string, hint: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint });
}

/**
 * The values of the options {@link addAttributeOptions} declares, as commander parses them. Written
 * out rather than inferred: inferring a chain of two dozen options over a generic command made the
 * type check of each command using it take minutes.
 */
export interface AttributeOptionValues {
  method: string;
  param?: Record<string, unknown>;
  maxNewTokens?: number;
  generationArgs?: Record<string, unknown>;
  targetLang?: string;
  target?: string[];
  targetPrefix?: string[];
  contrastTarget?: string[];
  contrastSource?: string[];
  contrastAlignments?: ContrastAlignment | ContrastAlignment[];
  attributedFn: string;
  attributedFnArgs?: Record<string, unknown>;
  stepScores: string[];
  stepScoresArgs?: Record<string, unknown>;
  startPos?: number;
  endPos?: number;
  attributeTarget?: boolean;
  aggregate?: "l2" | "l1" | "sum" | "absmax" | "mean" | "max" | "none";
  merge?: "words" | "spans" | "sentences";
  mergeArgs?: Record<string, unknown>;
  normalize?: "step" | "none";
  rescale?: true;
  baseline?: "unk" | "pad" | "zero";
  nSteps?: number;
  tolerance?: number;
}

/**
 * Adds the attribution options, `--method` to `--tolerance`, to `command` (in the order
 * `tokenscope attribute --help` lists them) and returns it with their types
 * ({@link AttributeOptionValues}).
 */
export function addAttributeOptions<
  Args extends unknown[],
  Opts extends OptionValues,
  Globals extends OptionValues,
>(command: Command<Args, Opts, Globals>): Command<Args, Opts & AttributeOptionValues, Globals> {
  declareAttributeOptions(command as unknown as Command);
  return command as unknown as Command<Args, Opts & AttributeOptionValues, Globals>;
}

/** Declares the options on a plain command, where commander's inferred types are cheap to check. */
function declareAttributeOptions(command: Command) {
  return command
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
      "--target-lang <code>",
      'target language of a multilingual model: a language token of `models inspect` ("fr_XX") or its language ("fr")',
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
    .option(
      "--contrast-target <text>",
      "compare with this continuation (contrastive step functions, e.g. --attributed-fn contrast_prob_diff); once, or once per prompt",
      collect,
    )
    .option(
      "--contrast-source <text>",
      "compare with predictions from this prompt instead (e.g. without the context); once, or once per prompt",
      collect,
    )
    .option(
      "--contrast-alignments <pairs>",
      "which contrast token faces each target token: '[[0,0],[1,2]]' (target, contrast indices; the rest aligned right, the default) or \"auto\"",
      contrastAlignments,
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
    );
}

/** What commander infers for the declared options: checked below to be {@link AttributeOptionValues}. */
type DeclaredOptionValues =
  ReturnType<typeof declareAttributeOptions> extends Command<[], infer Values, infer _Globals>
    ? Values
    : never;
/** Compile-time check that the written-out option types and the declared options agree both ways. */
const declaredOptionsMatch: [DeclaredOptionValues] extends [AttributeOptionValues]
  ? [AttributeOptionValues] extends [DeclaredOptionValues]
    ? true
    : "AttributeOptionValues has an option the declaration lacks"
  : "the declaration has an option AttributeOptionValues lacks" = true;
void declaredOptionsMatch;

/** `--precision <type>`: the precision of saved scores; `where` says which outputs it applies to. */
export function precisionOption(where: string) {
  return new Option("--precision <type>", `precision of saved scores (${where})`)
    .choices(["float16", "float32", "float64"] as const)
    .default("float32" as const);
}

/** The parsed flags {@link addAttributeOptions} declares (and `--memory-budget`). */
export interface AttributeFlags {
  method: string;
  param?: Record<string, unknown> | undefined;
  maxNewTokens?: number | undefined;
  generationArgs?: Record<string, unknown> | undefined;
  targetLang?: string | undefined;
  target?: string[] | undefined;
  targetPrefix?: string[] | undefined;
  contrastTarget?: string[] | undefined;
  contrastSource?: string[] | undefined;
  contrastAlignments?: ContrastAlignment | ContrastAlignment[] | undefined;
  attributedFn: string;
  attributedFnArgs?: Record<string, unknown> | undefined;
  stepScores: string[];
  stepScoresArgs?: Record<string, unknown> | undefined;
  startPos?: number | undefined;
  endPos?: number | undefined;
  attributeTarget?: boolean | undefined;
  aggregate?: string | undefined;
  merge?: string | undefined;
  mergeArgs?: Record<string, unknown> | undefined;
  normalize?: "step" | "none" | undefined;
  rescale?: boolean | undefined;
  baseline?: string | undefined;
  nSteps?: number | undefined;
  tolerance?: number | undefined;
  memoryBudget?: number | undefined;
}

/** Refuses flags that exclude each other (checked first, before anything is read or loaded). */
export function checkAttributeFlagCombinations(flags: AttributeFlags): void {
  if (flags.target !== undefined && flags.targetPrefix !== undefined) {
    throw inputError(
      "--target and --target-prefix exclude each other.",
      "Force the whole target with --target, or only its start with --target-prefix.",
    );
  }
  if (flags.rescale && flags.normalize === "step") {
    throw inputError("--rescale and --normalize step exclude each other.", "Rescale or normalise, not both.");
  }
  if (flags.mergeArgs && !flags.merge) {
    throw inputError("--merge-args needs --merge.", "Say which units to merge, e.g. --merge spans.");
  }
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

/**
 * attribute()'s options from the flags, less what depends on the prompts (targets, contrasts,
 * progress, signal).
 */
export type FlagAttributeOptions = Omit<
  AttributeOptions,
  "target" | "targetPrefix" | "contrastTargets" | "contrastSources" | "onProgress" | "signal"
>;

/** What {@link attributeSettingsFromFlags} found: attribute()'s options and what the step checks need. */
export interface AttributeSettings {
  options: FlagAttributeOptions;
  /** The generation settings (`--max-new-tokens` and `--generation-args` together). */
  generation: GenerationOptions;
  /** The most tokens generation adds. */
  maxNewTokens: number;
}

/**
 * The attribution settings of the flags, every one checked before the model loads (a typo costs no
 * load): the method and its parameters (`--param`, `--baseline`, `--n-steps`, `--tolerance`), the
 * attributed function, step scores, aggregation, positions, generation settings and their limits.
 * @throws TokenscopeError naming the flag that is wrong.
 */
export function attributeSettingsFromFlags(flags: AttributeFlags): AttributeSettings {
  const generation: GenerationOptions = {
    maxNewTokens: flags.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
    ...(flags.generationArgs ? parseGenerationArgs(flags.generationArgs) : {}),
    ...(flags.targetLang !== undefined ? parseGenerationArgs({ targetLanguage: flags.targetLang }) : {}),
  };
  const parameters: Record<string, unknown> = { ...flags.param };
  if (flags.baseline !== undefined) parameters["baseline"] = flags.baseline;
  if (flags.nSteps !== undefined) parameters["n_steps"] = flags.nSteps;
  if (flags.tolerance !== undefined) parameters["tolerance"] = flags.tolerance;
  const method = getMethod(flags.method);
  parseParameters(method.parameters, parameters, method.id);
  const attributedFunction = getStepFunction(flags.attributedFn);
  parseParameters(
    attributedFunction.parameters,
    flags.attributedFnArgs,
    `Attributed function "${attributedFunction.id}"`,
  );
  const stepScores = stepScoreChoices(flags.stepScores, flags.stepScoresArgs);
  for (const choice of stepScores) {
    const { id, parameters: args } =
      typeof choice === "string" ? { id: choice, parameters: undefined } : choice;
    parseParameters(getStepFunction(id).parameters, args, `Step score "${id}"`);
  }
  checkContrastOptions(
    {
      attributedFunction: flags.attributedFn,
      stepScores,
      ...(flags.contrastTarget ? { contrastTargets: flags.contrastTarget } : {}),
      ...(flags.contrastSource ? { contrastSources: flags.contrastSource } : {}),
      ...(flags.contrastAlignments ? { contrastAlignments: flags.contrastAlignments } : {}),
    },
    method,
  );
  const aggregation = aggregationChoice(
    {
      ...(flags.aggregate ? { aggregate: flags.aggregate } : {}),
      ...(flags.merge ? { merge: flags.merge } : {}),
      ...(flags.mergeArgs ? { mergeArgs: flags.mergeArgs } : {}),
      ...(flags.normalize ? { normalize: flags.normalize } : {}),
      ...(flags.rescale ? { rescale: true } : {}),
    },
    method.normalizeByDefault ?? true,
  );
  checkAggregationBeforeLoading(aggregation);
  const steps =
    flags.startPos !== undefined || flags.endPos !== undefined
      ? {
          ...(flags.startPos !== undefined ? { start: flags.startPos } : {}),
          ...(flags.endPos !== undefined ? { end: flags.endPos } : {}),
        }
      : undefined;
  if (flags.maxNewTokens !== undefined) checkLimit("newTokens", flags.maxNewTokens, "--max-new-tokens");
  checkGenerationSettings(generation);
  return {
    generation,
    maxNewTokens: generation.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
    options: {
      method: method.id,
      parameters,
      attributedFunction: flags.attributedFnArgs
        ? { id: flags.attributedFn, parameters: flags.attributedFnArgs }
        : flags.attributedFn,
      generation,
      stepScores,
      ...(flags.contrastAlignments ? { contrastAlignments: flags.contrastAlignments } : {}),
      // Undefined unless --attribute-target or --no-attribute-target was given: the library decides.
      ...(flags.attributeTarget !== undefined ? { attributeTarget: flags.attributeTarget } : {}),
      ...(steps ? { steps } : {}),
      ...aggregation,
      ...(flags.memoryBudget !== undefined ? { memoryBudgetBytes: flags.memoryBudget } : {}),
    },
  };
}
