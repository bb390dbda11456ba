import { TokenscopeError } from "../errors/index.ts";
import type { GenerationSettings } from "./types.ts";

/** Names generation arguments go by (ours and Hugging Face's, as Inseq's `generation_args` pass them). */
const aliases: Record<string, keyof GenerationSettings | "do_sample"> = {
  maxNewTokens: "maxNewTokens",
  max_new_tokens: "maxNewTokens",
  temperature: "temperature",
  topK: "topK",
  top_k: "topK",
  topP: "topP",
  top_p: "topP",
  seed: "seed",
  stopTokenIds: "stopTokenIds",
  stop_token_ids: "stopTokenIds",
  eos_token_id: "stopTokenIds",
  do_sample: "do_sample",
};

function invalid(key: string, value: unknown, expected: string): never {
  throw new TokenscopeError(
    "INVALID_INPUT",
    `Generation argument "${key}" must be ${expected}, not ${JSON.stringify(value)}.`,
    { hint: `Give ${key} as ${expected}.`, details: { key } },
  );
}

function integerAt(key: string, value: unknown, minimum: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < minimum) {
    invalid(key, value, `an integer ≥ ${minimum}`);
  }
  return value;
}

/**
 * Generation settings from loosely named arguments, as a CLI's `--generation-args` or Inseq's
 * `generation_args` give them: our names or Hugging Face's (`max_new_tokens`, `top_k`, `top_p`,
 * `eos_token_id`, `do_sample`; `do_sample: false` means greedy, `true` samples at temperature 1
 * unless a temperature is given). Values are checked; an unknown name is an error naming the known
 * ones, never silently ignored.
 * @throws TokenscopeError INVALID_INPUT.
 */
export function parseGenerationArgs(args: Record<string, unknown>): GenerationSettings {
  const settings: GenerationSettings = {};
  let doSample: boolean | undefined;
  for (const [key, value] of Object.entries(args)) {
    const name = aliases[key];
    if (!name) {
      throw new TokenscopeError("INVALID_INPUT", `Unknown generation argument "${key}".`, {
        hint: `Use ${Object.keys(aliases).join(", ")}.`,
        details: { key },
      });
    }
    if (name === "do_sample") {
      if (typeof value !== "boolean") invalid(key, value, "true or false");
      doSample = value;
    } else if (name === "maxNewTokens") settings.maxNewTokens = integerAt(key, value, 0);
    else if (name === "topK") settings.topK = integerAt(key, value, 0);
    else if (name === "seed") settings.seed = integerAt(key, value, 0);
    else if (name === "temperature") {
      if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
        invalid(key, value, "a number ≥ 0");
      }
      settings.temperature = value;
    } else if (name === "topP") {
      if (typeof value !== "number" || !(value > 0 && value <= 1)) invalid(key, value, "a number in (0, 1]");
      settings.topP = value;
    } else {
      const ids = typeof value === "number" ? [value] : value;
      if (!Array.isArray(ids) || ids.length === 0) invalid(key, value, "a token id or a list of token ids");
      settings.stopTokenIds = ids.map((id) => integerAt(key, id, 0));
    }
  }
  if (doSample === false) settings.temperature = 0;
  if (doSample === true && settings.temperature === undefined) settings.temperature = 1;
  return settings;
}
