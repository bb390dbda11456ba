import { access, readFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { TokenscopeError } from "@tokenscope/core";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import { type HfPretrainedTokenizer, hfTextTokenizer } from "./hf-tokenizer.ts";

/** Options of {@link loadHfTokenizer}. */
export interface LoadHfTokenizerOptions {
  /** More ids that end generation (config.json / generation_config.json). */
  extraEosTokenIds?: readonly number[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** transformers.js settings this loader changes for the duration of one load. */
const envKeys = [
  "allowRemoteModels",
  "allowLocalModels",
  "localModelPath",
  "useFSCache",
  "useBrowserCache",
  "useCustomCache",
] as const;

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs loads one at a time: transformers.js reads its settings from one global `env`, which each
 * load sets and restores.
 */
function oneAtATime<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

/**
 * The chat template of a folder whose tokenizer_config.json has none: recent transformers saves it
 * to chat_template.jinja (or chat_template.json), which transformers.js tokenizers do not read.
 */
async function folderChatTemplate(folder: string): Promise<string | undefined> {
  const jinja = join(folder, "chat_template.jinja");
  if (await exists(jinja)) return readFile(jinja, "utf8");
  const json = join(folder, "chat_template.json");
  if (await exists(json)) {
    const template = (JSON.parse(await readFile(json, "utf8")) as { chat_template?: unknown }).chat_template;
    if (typeof template === "string") return template;
  }
  return undefined;
}

function loadFailed(folder: string, what: string, hint: string, cause?: unknown): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `Cannot load the tokenizer of ${folder}: ${what}.`, {
    hint,
    details: { folder },
    cause,
  });
}

/**
 * Loads the tokenizer of a local Hugging Face model folder with `@huggingface/transformers`
 * (`AutoTokenizer.from_pretrained`, remote models switched off, so nothing is downloaded) and
 * wraps it as a {@link TextTokenizer} with character spans (see `hfTextTokenizer`). Reads
 * tokenizer.json and tokenizer_config.json (without the latter, the base tokenizer class), and
 * chat_template.jinja when the config holds no chat template.
 * @throws TokenscopeError MODEL_LOAD_FAILED when tokenizer.json is missing or unreadable.
 */
export async function loadHfTokenizer(
  folder: string,
  options: LoadHfTokenizerOptions = {},
): Promise<TextTokenizer> {
  const absolute = resolve(folder);
  if (!(await exists(join(absolute, "tokenizer.json")))) {
    throw loadFailed(
      folder,
      "it has no tokenizer.json",
      "transformers.js reads tokenizer.json only; write one from the original tokenizer with Python transformers (AutoTokenizer.from_pretrained(...).save_pretrained(folder)).",
    );
  }
  const transformers = await import("@huggingface/transformers");
  const tokenizer = await oneAtATime(async () => {
    const env = transformers.env as unknown as Record<(typeof envKeys)[number], unknown>;
    const saved = Object.fromEntries(envKeys.map((key) => [key, env[key]]));
    Object.assign(env, {
      allowRemoteModels: false,
      allowLocalModels: true,
      localModelPath: dirname(absolute) + sep,
      useFSCache: false,
      useBrowserCache: false,
      useCustomCache: false,
    });
    try {
      if (!(await exists(join(absolute, "tokenizer_config.json")))) {
        const json = JSON.parse(await readFile(join(absolute, "tokenizer.json"), "utf8"));
        return new transformers.PreTrainedTokenizer(json, {});
      }
      // An absolute path, not an id under localModelPath: transformers.js memoizes file lookups
      // by id, and two folders with the same name would share them.
      return await transformers.AutoTokenizer.from_pretrained(absolute, { local_files_only: true });
    } catch (error) {
      throw loadFailed(
        folder,
        error instanceof Error ? error.message : String(error),
        "Check that tokenizer.json and tokenizer_config.json are complete and were written by transformers.",
        error,
      );
    } finally {
      Object.assign(env, saved);
    }
  });
  const hfTokenizer = tokenizer as unknown as HfPretrainedTokenizer;
  if (!hfTokenizer.chat_template) {
    const template = await folderChatTemplate(absolute);
    if (template) hfTokenizer.chat_template = template;
  }
  return hfTextTokenizer(hfTokenizer, {
    ...(options.extraEosTokenIds ? { extraEosTokenIds: options.extraEosTokenIds } : {}),
    name: `Hugging Face ${tokenizer.constructor.name}`,
  });
}
