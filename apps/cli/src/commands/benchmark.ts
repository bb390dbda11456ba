import type { Command } from "@commander-js/extra-typings";
import type { BenchmarkItemOutcome, BenchmarkPlan } from "@tokenscope/eval";
import type { LanguageModel } from "tokenscope";
import { type CliIO, printJsonText } from "../io.ts";
import { modelOption } from "../model-options.ts";
import { jsonOption } from "../options.ts";
import { commaList, integer, nameValue, outputPath } from "../parsers.ts";
import { createProgressReporter } from "../progress.ts";
import { readTextFile } from "../text-file.ts";

const defaults = {
  analogies: "../shared/data/analogies/questions-words.txt",
  plausibility: "../shared/data/reagent/annotated_lambada.json",
} as const;

type Kind = "analogies" | "sequences" | "plausibility";

interface BenchmarkCliOptions {
  model: string;
  methods: string[];
  param?: Record<string, unknown>;
  dataset?: string;
  limit?: number;
  sections?: string[];
  stride?: number;
  maxNewTokens?: number;
  samples?: number;
  seed?: number;
  outDir?: string;
  keepAll?: boolean;
  json?: boolean;
  md?: boolean;
}

/**
 * The methods of `--methods` with their `--param method.name=value` parameters, each validated
 * against its method's schema before the model loads: a typo costs nothing but the message.
 */
async function benchmarkMethods(
  ids: readonly string[],
  param: Record<string, unknown> = {},
): Promise<{ id: string; parameters?: Record<string, unknown> }[]> {
  const { getMethod, parseParameters, TokenscopeError } = await import("tokenscope");
  const { RANDOM_METHOD } = await import("@tokenscope/eval");
  const byMethod = new Map<string, Record<string, unknown>>();
  for (const [key, value] of Object.entries(param)) {
    const dot = key.indexOf(".");
    const id = key.slice(0, dot);
    if (dot <= 0 || dot === key.length - 1 || !ids.includes(id) || id === RANDOM_METHOD) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `--param ${key}: expected <method>.<parameter>=<value> naming one of --methods (${ids.filter((m) => m !== RANDOM_METHOD).join(", ")}).`,
        { hint: "E.g. --methods reagent --param reagent.num_steps=10 --param reagent.max_iterations=8." },
      );
    }
    byMethod.set(id, { ...byMethod.get(id), [key.slice(dot + 1)]: value });
  }
  return ids.map((id) => {
    const parameters = byMethod.get(id);
    if (id === RANDOM_METHOD) return { id };
    const method = getMethod(id);
    if (!parameters) return { id };
    parseParameters(method.parameters, parameters, method.id);
    return { id, parameters };
  });
}

/** Greedy text of `tokens` new tokens after `prompt` (BOS added as for generation). */
async function greedy(
  model: LanguageModel,
  prompt: string,
  tokens: number,
  signal: AbortSignal,
): Promise<string> {
  const ids = (await model.tokenize(prompt)).tokens.map((token) => token.id!).filter((id) => id !== null);
  const generated = await model.generate!(ids, { maxNewTokens: tokens, temperature: 0, signal });
  return generated.text;
}

async function planFor(
  kind: Kind,
  options: BenchmarkCliOptions,
  model: LanguageModel,
  io: CliIO,
  signal: AbortSignal,
) {
  const evalApi = await import("@tokenscope/eval");
  const { TokenscopeError } = await import("tokenscope");
  const path = options.dataset ?? (kind === "sequences" ? undefined : defaults[kind]);
  if (!path) {
    throw new TokenscopeError("INVALID_INPUT", "benchmark sequences needs --dataset.", {
      hint: "Give a file with one prompt per line, e.g. --dataset ../shared/data/reagent/wikitext.txt.",
    });
  }
  const text = await readTextFile(path, `${kind} data`, "Pass a smaller file with --dataset.");
  if (kind === "sequences") {
    const prompts = evalApi.parsePromptLines(text).slice(0, options.limit);
    return evalApi.sequencesPlan(prompts, {
      ...(options.stride !== undefined ? { stride: options.stride } : {}),
      ...(options.maxNewTokens !== undefined ? { maxNewTokens: options.maxNewTokens } : {}),
    });
  }
  if (kind === "plausibility") {
    return evalApi.plausibilityPlan(evalApi.parseAnnotatedLambada(text).slice(0, options.limit));
  }
  const prepared = evalApi.prepareAnalogies(evalApi.parseAnalogies(text), {
    ...(options.sections ? { sections: options.sections } : {}),
  });
  // --keep-all skips both of ReAGent's filters (one-token words, correct completions): a small
  // vocabulary (stories260K's 512 tokens) has no one-token capital names at all.
  if (options.keepAll) return evalApi.analogiesPlan(prepared.slice(0, options.limit));
  const single = await evalApi.keepSingleTokenPairs(
    prepared,
    async (word) => (await model.tokenize(` ${word}`, { addSpecialTokens: false })).tokens.length,
  );
  if (single.length === 0) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `None of the ${prepared.length} analogy pairs is one token per word for this model.`,
      {
        hint: "ReAGent keeps only pairs whose words are single tokens; pass --keep-all to attribute every item anyway (the first target token is evaluated).",
      },
    );
  }
  let checked = 0;
  const kept = await evalApi.keepCorrect(
    single,
    async (prompt, item) => {
      const tokens = (await model.tokenize(item.targetText, { addSpecialTokens: false })).tokens.length;
      return greedy(model, prompt, Math.max(1, tokens), signal);
    },
    {
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      signal,
      onChecked: () => void checked++,
    },
  );
  io.stderr(
    io.color.dim(
      `analogies: ${kept.length} of ${checked} checked items completed correctly (of ${single.length} single-token pairs)\n`,
    ),
  );
  if (kept.length === 0) {
    throw new TokenscopeError("INVALID_INPUT", "The model completes none of the analogy items correctly.", {
      hint: "Pass --keep-all to attribute every item's target anyway (ReAGent keeps only the correct ones), or try other --sections.",
    });
  }
  return evalApi.analogiesPlan(kept);
}

/** `tokenscope benchmark analogies | sequences | plausibility`: methods compared on one model. */
export function register(program: Command, io: CliIO): void {
  const benchmark = program
    .command("benchmark")
    .description(
      "compare attribution methods on one model: faithfulness (ReAGent's analogies and sequences) or plausibility",
    );
  for (const kind of ["analogies", "sequences", "plausibility"] as const) {
    benchmark
      .command(kind)
      .description(
        kind === "analogies"
          ? "ReAGent's analogies: items the model completes correctly, Soft-NS / Soft-NC of the target token vs random"
          : kind === "sequences"
            ? "ReAGent's sequence-level benchmark: greedy continuations, every stride-th step evaluated"
            : "plausibility against human rationales (annotated LAMBADA): F1, IOU, AUPRC vs random",
      )
      .addOption(modelOption())
      .requiredOption(
        "--methods <ids>",
        'methods to compare, comma-separated ("random" for the random baseline)',
        commaList,
      )
      .option(
        "--param <method.name=value>",
        "a parameter of one of --methods, validated against its schema; repeatable",
        nameValue,
      )
      .option(
        "--dataset <file>",
        kind === "sequences" ? "one prompt per line (required)" : `the data (default ${defaults[kind]})`,
      )
      .option("--limit <n>", "at most this many items", integer(1))
      .option("--sections <names>", "analogies: only these sections", commaList)
      .option(
        "--keep-all",
        "analogies: attribute every item, not only one-token words the model completes correctly (ReAGent's filters)",
      )
      .option("--stride <n>", "sequences: evaluate every n-th generated token", integer(1))
      .option("--max-new-tokens <n>", "sequences: tokens generated per prompt", integer(1))
      .option("--samples <n>", "mask draws per step for the soft metrics", integer(1))
      .option("--seed <n>", "seed of the masks and the random baseline", integer(0))
      .option(
        "--out-dir <dir>",
        "keep each finished (method, item) here: an interrupted benchmark resumes",
        outputPath,
      )
      .option("--md", "print the table as Markdown")
      .addOption(jsonOption())
      .action(async (options: BenchmarkCliOptions) => {
        const evalApi = await import("@tokenscope/eval");
        const { loadModel } = await import("@tokenscope/models/node");
        const { registerBuiltins } = await import("tokenscope");
        registerBuiltins();
        const methods = await benchmarkMethods(options.methods, options.param);
        const signal = io.signal ?? new AbortController().signal;
        const model = await loadModel(options.model, { signal });
        try {
          const plan: BenchmarkPlan = await planFor(kind, options, model, io, signal);
          const store = options.outDir
            ? (await import("@tokenscope/eval/node")).createFileRunStore<BenchmarkItemOutcome>(
                options.outDir,
                {
                  serialize: (value) => JSON.stringify(value),
                  deserialize: (bytes) =>
                    JSON.parse(typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes)),
                },
              )
            : evalApi.createMemoryRunStore<BenchmarkItemOutcome>();
          const progress = createProgressReporter(io, signal);
          const outcome = await evalApi.runBenchmark({
            plan,
            model,
            methods,
            store,
            evaluate: {
              ...(options.samples !== undefined ? { samples: options.samples } : {}),
              ...(options.seed !== undefined ? { seed: options.seed } : {}),
            },
            settings: {
              model: options.model,
              kind,
              dataset: options.dataset ?? null,
              limit: options.limit ?? null,
            },
            signal,
            onProgress: progress.onProgress,
          });
          progress.done();
          io.stderr(
            io.color.dim(
              `${plan.items.length} items · ${outcome.ran} attributions run · ${outcome.skipped} resumed\n`,
            ),
          );
          const table = evalApi.benchmarkTable(outcome.rows, { metrics: plan.metrics });
          if (options.json) printJsonText(io, `${JSON.stringify(table, null, 2)}\n`);
          else io.stdout(`${evalApi.benchmarkTableMarkdown(table)}\n`);
        } finally {
          await model.dispose?.();
        }
      });
  }
}
