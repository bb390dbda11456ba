import { TokenscopeError } from "../errors/index.ts";
import { checkLimit, describeLimit, type LimitName, limits } from "../limits/index.ts";
import { describeValue } from "../registry/definition-checks.ts";
import { DEFAULT_MAX_NEW_TOKENS, type GenerationSettings } from "./types.ts";

/**
 * Names generation arguments go by (ours and Hugging Face's, as Inseq's `generation_args` pass them).
 * A Map, so that a user's key such as "toString" or "__proto__" finds nothing of Object's.
 */
const aliases = new Map<string, keyof GenerationSettings | "do_sample">([
  ["maxNewTokens", "maxNewTokens"],
  ["max_new_tokens", "maxNewTokens"],
  ["temperature", "temperature"],
  ["topK", "topK"],
  ["top_k", "topK"],
  ["topP", "topP"],
  ["top_p", "topP"],
  ["seed", "seed"],
  ["stopTokenIds", "stopTokenIds"],
  ["stop_token_ids", "stopTokenIds"],
  ["eos_token_id", "stopTokenIds"],
  ["forcedBosTokenId", "forcedBosTokenId"],
  ["forced_bos_token_id", "forcedBosTokenId"],
  ["targetLanguage", "targetLanguage"],
  ["target_language", "targetLanguage"],
  ["tgt_lang", "targetLanguage"],
  ["do_sample", "do_sample"],
]);

/** A bad value is described by its type and a short preview, never stringified whole (it may nest 50,000 deep). */
function invalid(key: string, value: unknown, expected: string): never {
  throw new TokenscopeError(
    "INVALID_INPUT",
    `Generation argument "${key}" must be ${expected}, got ${describeValue(value)}.`,
    { hint: `Give ${key} as ${expected}.`, details: { key } },
  );
}

function integerAt(key: string, value: unknown, minimum: number, limit?: LimitName): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < minimum) {
    invalid(key, value, `an integer ≥ ${minimum}`);
  }
  if (limit) checkLimit(limit, value, `Generation argument "${key}"`);
  return value;
}

/**
 * Generation settings from loosely named arguments, as a CLI's `--generation-args` or Inseq's
 * `generation_args` give them: our names or Hugging Face's (`max_new_tokens`, `top_k`, `top_p`,
 * `eos_token_id`, `forced_bos_token_id`, `tgt_lang`, `do_sample`; `do_sample: false` means greedy, `true` samples at temperature 1
 * unless a temperature is given). Values are checked; an unknown name is an error naming the known
 * ones, never silently ignored. `max_new_tokens` and `top_k` above {@link limits} are refused here,
 * before any work.
 * @throws TokenscopeError INVALID_INPUT.
 */
export function parseGenerationArgs(args: Record<string, unknown>): GenerationSettings {
  const settings: GenerationSettings = {};
  let doSample: boolean | undefined;
  for (const [key, value] of Object.entries(args)) {
    const name = aliases.get(key);
    if (!name) {
      throw new TokenscopeError("INVALID_INPUT", `Unknown generation argument "${key}".`, {
        hint: `Use ${[...aliases.keys()].join(", ")}.`,
        details: { key },
      });
    }
    if (name === "do_sample") {
      if (typeof value !== "boolean") invalid(key, value, "true or false");
      doSample = value;
    } else if (name === "maxNewTokens") settings.maxNewTokens = integerAt(key, value, 0, "newTokens");
    else if (name === "topK") settings.topK = integerAt(key, value, 0, "rankedTokens");
    else if (name === "seed") settings.seed = integerAt(key, value, 0);
    else if (name === "forcedBosTokenId") settings.forcedBosTokenId = integerAt(key, value, 0);
    else if (name === "targetLanguage") {
      if (typeof value !== "string" || value.trim() === "" || value.length > 64) {
        invalid(key, value, 'a language code such as "fr" or "fr_XX"');
      }
      settings.targetLanguage = value.trim();
    } else if (name === "temperature") {
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

/**
 * Checks generation settings before any work starts (`attribute()` calls it before it tokenizes,
 * a command line before it loads the model): `INVALID_PARAMETERS` listing every bad setting, with
 * `maxNewTokens` and `topK` held to {@link limits} (the bound and its reason in the message).
 * Returns `maxNewTokens` with its default applied.
 */
export function checkGenerationSettings(generation: GenerationSettings): number {
  const maxNewTokens = generation.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  const problems: string[] = [];
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1))
    problems.push("maxNewTokens: a positive integer");
  else if (maxNewTokens > limits.newTokens.max)
    problems.push(
      `maxNewTokens: ${maxNewTokens.toLocaleString("en-US")} is above the limit, ${describeLimit("newTokens")}`,
    );
  const { temperature, topK, topP, seed, stopTokenIds, forcedBosTokenId, targetLanguage } = generation;
  if (forcedBosTokenId !== undefined && !(Number.isInteger(forcedBosTokenId) && forcedBosTokenId >= 0)) {
    problems.push("forcedBosTokenId: a token id");
  }
  if (targetLanguage !== undefined && !(typeof targetLanguage === "string" && targetLanguage.length > 0)) {
    problems.push("targetLanguage: a language code");
  }
  if (temperature !== undefined && !(temperature >= 0)) problems.push("temperature: a number ≥ 0");
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) problems.push("topK: a positive integer");
  else if (topK !== undefined && topK > limits.rankedTokens.max)
    problems.push(
      `topK: ${topK.toLocaleString("en-US")} is above the limit, ${describeLimit("rankedTokens")}`,
    );
  if (topP !== undefined && !(topP > 0 && topP <= 1)) problems.push("topP: a number in (0, 1]");
  if (seed !== undefined && !Number.isInteger(seed)) problems.push("seed: an integer");
  if (stopTokenIds !== undefined && !stopTokenIds.every((id) => Number.isInteger(id) && id >= 0)) {
    problems.push("stopTokenIds: token ids");
  }
  if (problems.length > 0) {
    throw new TokenscopeError("INVALID_PARAMETERS", `Invalid generation settings: ${problems.join("; ")}.`, {
      hint: "Fix the listed generation settings, or leave them out for greedy decoding.",
      details: { generation, problems },
    });
  }
  return maxNewTokens;
}
