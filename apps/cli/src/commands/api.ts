import { homedir } from "node:os";
import { join } from "node:path";
import type { Command } from "@commander-js/extra-typings";
import { Option } from "@commander-js/extra-typings";
import type { LanguageModel } from "tokenscope";
import { type CliIO, printJsonText } from "../io.ts";
import { jsonOption } from "../options.ts";
import { commaList, integer, outputPath, positiveNumber, signedInteger } from "../parsers.ts";
import { createProgressReporter } from "../progress.ts";
import { printResult } from "./render-result.ts";

const strategies = ["logprob", "prob_diff", "cosine", "token_displacement"] as const;
type Strategy = (typeof strategies)[number];

/** Where responses are kept between runs unless --cache-dir says otherwise. */
function defaultCacheDir(): string {
  const base = process.env["XDG_CACHE_HOME"] || join(homedir(), ".cache");
  return join(base, "tokenscope", "api");
}

function parseStrategies(value: string): Strategy[] {
  const list = commaList(value);
  for (const id of list) {
    if (!(strategies as readonly string[]).includes(id)) {
      throw new Error(`unknown strategy "${id}" (choose from ${strategies.join(", ")})`);
    }
  }
  return list as Strategy[];
}

/** A path with `-<strategy>` before its extension, for one file per strategy. */
function perStrategyPath(path: string, strategy: string): string {
  const match = /^(.*?)((?:\.json)?(?:\.gz)?)$/.exec(path)!;
  return `${match[1]}-${strategy}${match[2]}`;
}

/** `tokenscope api attribute`: attribution of an API-only model by perturbing the prompt. */
export function register(program: Command, io: CliIO): void {
  const api = program
    .command("api")
    .description("explain models behind an OpenAI-compatible API (no gradients: the prompt is perturbed)");
  api
    .command("attribute")
    .description(
      "perturb the prompt unit by unit (or hierarchically) and measure how the API model's output changes",
    )
    .argument("<prompt>", "the prompt to explain")
    .requiredOption("--base-url <url>", "the API's base URL, e.g. http://127.0.0.1:8080/v1")
    .requiredOption("--model <name>", "the model name the server knows")
    .option("--api-key-env <name>", "environment variable holding the API key", "OPENAI_API_KEY")
    .addOption(
      new Option("--mode <mode>", "chat or completions requests")
        .choices(["chat", "completions"] as const)
        .default("chat" as const),
    )
    .addOption(
      new Option("--unit <unit>", "what is perturbed at a time")
        .choices(["token", "word", "sentence"] as const)
        .default("word" as const),
    )
    .addOption(
      new Option(
        "--perturbation <kind>",
        "removal, a fixed replacement, the n-th nearest token, or hierarchical removal/replacement",
      )
        .choices(["removal", "fixed", "nearest", "hierarchical"] as const)
        .default("removal" as const),
    )
    .option("--replacement <text>", "with --perturbation fixed (or hierarchical): the replacement text", "")
    .option(
      "--nearest-n <n>",
      "with --perturbation nearest: 1 the nearest other token, -1 the farthest",
      signedInteger,
      -1,
    )
    .option("--max-depth <n>", "with --perturbation hierarchical: stages after the first", integer(0))
    .option("--tokenizer <ref>", "the tokenizer of --unit token (any model reference loadModel reads)")
    .option(
      "--embeddings <ref>",
      "token embeddings for --perturbation nearest and --strategy cosine (a model reference)",
    )
    .option(
      "--strategy <ids>",
      `measures of change, comma-separated: ${strategies.join(", ")}`,
      parseStrategies,
      ["prob_diff"] as Strategy[],
    )
    .option("--max-new-tokens <n>", "tokens generated per request", integer(1), 16)
    .option("--concurrency <n>", "requests in flight at once", integer(1), 8)
    .option("--timeout <seconds>", "per-request timeout", positiveNumber, 60)
    .option(
      "--max-retries <n>",
      "retries of a failed request (429, 5xx, timeouts, dropped connections)",
      integer(0),
      6,
    )
    .option("--max-requests <n>", "stop before sending more requests than this", integer(1))
    .option("--max-tokens <n>", "stop before using more prompt + completion tokens than this", integer(1))
    .option(
      "--cache-dir <dir>",
      "keep responses here so a repeated or interrupted run resumes for free (default ~/.cache/tokenscope/api)",
      outputPath,
    )
    .option("--no-cache", "send every request, keep nothing")
    .option("--dry-run", "say how many requests and tokens the run would use, and send nothing")
    .option(
      "--price <prompt,completion>",
      "dollars per million prompt and completion tokens, for a cost estimate",
      commaList,
    )
    .addOption(jsonOption())
    .option(
      "--out <file>",
      "save the result (.json or .json.gz; one file per strategy when several)",
      outputPath,
    )
    .option(
      "--log <file>",
      "write the experiment log: .md (every table), .csv (the perturbations), .json",
      outputPath,
    )
    .action(async (prompt, options) => {
      const api = await import("@tokenscope/api-attribution");
      const { TokenscopeError } = await import("tokenscope");
      const signal = io.signal ?? new AbortController().signal;
      const needsEmbeddings = options.perturbation === "nearest" || options.strategy.includes("cosine");
      if (needsEmbeddings && !options.embeddings) {
        throw new TokenscopeError(
          "INVALID_INPUT",
          `${options.perturbation === "nearest" ? "--perturbation nearest" : "--strategy cosine"} needs --embeddings.`,
          {
            hint: "Give a model to take token embeddings from, e.g. --embeddings ../shared/models/stories260K.",
          },
        );
      }
      if (options.unit === "token" && !options.tokenizer) {
        throw new TokenscopeError("INVALID_INPUT", "--unit token needs --tokenizer.", {
          hint: "Give any model reference loadModel reads, e.g. --tokenizer ../shared/models/stories260K, or use --unit word.",
        });
      }
      const pricing = options.price
        ? (() => {
            const [promptPrice, completionPrice] = options.price.map(Number);
            if (
              options.price.length !== 2 ||
              !Number.isFinite(promptPrice) ||
              !Number.isFinite(completionPrice)
            ) {
              throw new TokenscopeError(
                "INVALID_INPUT",
                `--price takes two numbers, not ${options.price.join(",")}.`,
                {
                  hint: "E.g. --price 0.15,0.6 for $0.15 per million prompt tokens and $0.60 per million completion tokens.",
                },
              );
            }
            return { promptPerMillion: promptPrice!, completionPerMillion: completionPrice! };
          })()
        : undefined;
      if (options.out || options.log) {
        const { checkWritableFile } = await import("@tokenscope/core/node");
        for (const path of [options.out, options.log]) if (path) await checkWritableFile(path);
      }

      const models: LanguageModel[] = [];
      const load = async (reference: string) => {
        const { loadModel } = await import("@tokenscope/models/node");
        const model = await loadModel(reference, { signal });
        models.push(model);
        return model;
      };
      try {
        const tokenizerModel = options.tokenizer ? await load(options.tokenizer) : undefined;
        const embeddingModel = options.embeddings
          ? options.embeddings === options.tokenizer
            ? tokenizerModel!
            : await load(options.embeddings)
          : undefined;
        const space = embeddingModel ? api.modelEmbeddings(embeddingModel) : undefined;
        const kind = options.perturbation;
        const perturbation =
          kind === "nearest"
            ? api.nearestPerturbation(options.nearestN, space!)
            : api.fixedPerturbation(kind === "fixed" || kind === "hierarchical" ? options.replacement : "");
        const attributionOptions = {
          unit: options.unit,
          ...(tokenizerModel ? { tokenizer: api.modelTokenizer(tokenizerModel) } : {}),
          perturbation,
          ...(kind === "hierarchical"
            ? { hierarchical: options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : true }
            : {}),
          strategies: options.strategy,
          ...(space ? { embedder: space } : {}),
          maxNewTokens: options.maxNewTokens,
          ...(pricing ? { pricing } : {}),
        };
        if (options.dryRun) {
          const plan = await api.planEndpointAttribution(prompt, attributionOptions);
          const lines = [
            `${plan.units} ${options.unit} units`,
            plan.hierarchical
              ? `${plan.hierarchical.firstStage} requests in the first stage, at most ${plan.hierarchical.atMost} in all`
              : `${plan.requests} requests`,
            `about ${plan.tokens.prompt} prompt and ${plan.tokens.completion} completion tokens`,
            "(plus 2 or 3 requests to probe the server's capabilities; nothing was sent)",
          ];
          if (options.json) printJsonText(io, `${JSON.stringify(plan)}\n`);
          else io.stdout(`${lines.join("\n")}\n`);
          return;
        }
        const cache =
          options.cache === false
            ? undefined
            : (await import("@tokenscope/api-attribution/node")).createDiskCache(
                options.cacheDir ?? defaultCacheDir(),
              );
        const endpoint = api.createEndpoint(
          {
            baseUrl: options.baseUrl,
            model: options.model,
            mode: options.mode,
            apiKeyEnv: options.apiKeyEnv,
          },
          {
            concurrency: options.concurrency,
            timeoutMs: options.timeout * 1000,
            maxRetries: options.maxRetries,
            ...(cache ? { cache } : {}),
            budget: {
              ...(options.maxRequests !== undefined ? { maxRequests: options.maxRequests } : {}),
              ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
            },
            onRetry: (event) =>
              io.stderr(
                io.color.dim(
                  `retry ${event.retry} in ${(event.delayMs / 1000).toFixed(1)} s (${event.reason})\n`,
                ),
              ),
          },
        );
        const progress = createProgressReporter(io, signal);
        const run = await api.attributeEndpoint(endpoint, prompt, {
          ...attributionOptions,
          onProgress: progress.onProgress,
          signal,
        });
        progress.done();
        const stats = endpoint.stats();
        io.stderr(
          io.color.dim(
            `${run.requests.perturbations} perturbations · ${stats.requests} requests sent · ${stats.cacheHits} from the cache · ${stats.retries} retries · ${stats.promptTokens + stats.completionTokens} tokens\n`,
          ),
        );
        if (options.out) {
          const { saveResult } = await import("@tokenscope/core/node");
          for (const { strategy, result } of run.results) {
            const path = run.results.length > 1 ? perStrategyPath(options.out, strategy) : options.out;
            const written = await saveResult(result, path, { signal });
            io.stderr(io.color.dim(`saved ${written.join(", ")}\n`));
          }
        }
        if (options.log) {
          const { writeFileAtomically } = await import("@tokenscope/core/node");
          const text = options.log.endsWith(".json")
            ? api.logToJson(run.log)
            : options.log.endsWith(".csv")
              ? api.tableToCsv(api.perturbationsTable(run.log))
              : api.logToMarkdown(run.log);
          await writeFileAtomically(options.log, text, { signal });
          io.stderr(io.color.dim(`wrote ${options.log}\n`));
        }
        if (options.json) {
          const { serializeResult } = await import("tokenscope");
          for (const { result } of run.results)
            printJsonText(io, new TextDecoder().decode(serializeResult(result)));
          return;
        }
        for (const { result } of run.results) await printResult(io, result);
        io.stdout(`${api.tableToMarkdown(api.unitTable(run.log))}\n`);
      } finally {
        for (const model of models) await model.dispose?.();
      }
    });
}
