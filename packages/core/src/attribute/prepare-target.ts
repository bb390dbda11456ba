import { TokenscopeError } from "../errors/index.ts";
import { assertCapabilities } from "../model/assert-capabilities.ts";
import type { LanguageModel, Tokenization } from "../model/language-model.ts";
import type { AbortOptions, ProgressCallback } from "../progress.ts";
import { checkGenerationSettings } from "./generation-args.ts";
import type { GenerationSettings } from "./types.ts";

/** How the target of one sequence is obtained. */
export type TargetSpec =
  | { kind: "forced"; text: string }
  | { kind: "generate"; prefix: string | undefined; generation: GenerationSettings };

/** Options of {@link prepareTarget}. */
export interface PrepareTargetOptions extends AbortOptions {
  onProgress?: ProgressCallback | undefined;
  sequenceIndex: number;
}

function tooLong(model: LanguageModel, promptTokens: number, more: number, what: string): TokenscopeError {
  const contextLength = model.info.contextLength;
  return new TokenscopeError(
    "PROMPT_TOO_LONG",
    `The prompt has ${promptTokens} tokens and ${more} ${what}: ${promptTokens + more} tokens exceed the context length ${contextLength} of model "${model.info.id}".`,
    {
      hint: "Shorten the prompt or the target, or ask for fewer new tokens (generation.maxNewTokens).",
      details: { promptTokens, targetTokens: more, contextLength, model: model.info.id },
    },
  );
}

async function tokenizeTarget(model: LanguageModel, text: string, what: string, sequenceIndex: number) {
  const { tokens } = await model.tokenize(text, { addSpecialTokens: false, continuation: true });
  if (tokens.length === 0) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `The ${what} of sequence ${sequenceIndex} tokenizes to nothing.`,
      {
        hint: `Give a ${what} with at least one token, or leave it out to generate the target.`,
        details: { sequence: sequenceIndex, [what]: text },
      },
    );
  }
  return tokens;
}

/**
 * The token forced first: `forcedBosTokenId`, else the token of `targetLanguage` among the model's
 * language codes (exact, or the one code whose language part — before "_", inside "__" — is it),
 * else the model's own default (`info.forcedBosTokenId`).
 * @throws TokenscopeError INVALID_PARAMETERS for an id outside the vocabulary or a language the
 * model does not have (or has several tokens for), naming the codes it has.
 */
export function forcedFirstToken(model: LanguageModel, generation: GenerationSettings): number | undefined {
  const { forcedBosTokenId, targetLanguage } = generation;
  const vocabSize = model.info.vocabSize;
  if (forcedBosTokenId !== undefined) {
    if (forcedBosTokenId >= vocabSize) {
      throw new TokenscopeError(
        "INVALID_PARAMETERS",
        `forcedBosTokenId ${forcedBosTokenId} is outside the (target) vocabulary [0, ${vocabSize}).`,
        { hint: "Give the id of a target-language token of this model's vocabulary." },
      );
    }
    return forcedBosTokenId;
  }
  if (targetLanguage === undefined) return model.info.forcedBosTokenId;
  const codes = model.info.languageCodes ?? {};
  const exact = Object.hasOwn(codes, targetLanguage) ? codes[targetLanguage] : undefined;
  if (exact !== undefined) return exact;
  const wanted = targetLanguage.toLowerCase();
  const languageOf = (code: string) =>
    code
      .replace(/^__|__$/g, "")
      .split("_")[0]!
      .toLowerCase();
  const matches = Object.keys(codes).filter((code) => languageOf(code) === wanted);
  if (matches.length === 1) return codes[matches[0]!];
  const known = Object.keys(codes);
  throw new TokenscopeError(
    "INVALID_PARAMETERS",
    matches.length > 1
      ? `Target language "${targetLanguage}" matches several language tokens of "${model.info.id}": ${matches.join(", ")}.`
      : known.length === 0
        ? `Model "${model.info.id}" has no target-language tokens, so targetLanguage "${targetLanguage}" cannot be chosen.`
        : `Model "${model.info.id}" has no target language "${targetLanguage}".`,
    {
      hint:
        known.length === 0
          ? "Leave targetLanguage out, or give forcedBosTokenId for a model whose config names none."
          : `Give one of: ${(matches.length > 1 ? matches : known).slice(0, 40).join(", ")}${known.length > 40 ? ", ..." : ""}.`,
      details: { targetLanguage, model: model.info.id },
    },
  );
}

/**
 * The target tokens of one sequence: a forced text tokenized without special
 * tokens (after the model's `info.forcedBosTokenId`, which it would generate first), or tokens
 * generated after the prompt — after a `prefix` when given.
 * A prefix (after the forced first token, see `forcedFirstToken`) is generated as a continuation
 * of prompt + prefix rather than with the model's `prefixIds`, which gives the
 * same tokens for a causal model and works on every model that can generate;
 * an encoder-decoder, whose prompt is its source, takes it as `prefixIds`. Generated ids are decoded as a
 * continuation of the prompt, so their spans index the returned text.
 * Throws `PROMPT_TOO_LONG` when prompt and target cannot fit the context.
 */
export async function prepareTarget(
  model: LanguageModel,
  promptIds: number[],
  spec: TargetSpec,
  options: PrepareTargetOptions,
): Promise<Tokenization> {
  const contextLength = model.info.contextLength;
  if (spec.kind === "forced") {
    const text = await tokenizeTarget(model, spec.text, "target", options.sequenceIndex);
    const first = model.info.forcedBosTokenId;
    const tokens = first === undefined ? text : [{ id: first, text: "", span: null, special: true }, ...text];
    if (promptIds.length + tokens.length > contextLength) {
      throw tooLong(model, promptIds.length, tokens.length, "target tokens");
    }
    return { text: spec.text, tokens };
  }
  const maxNewTokens = checkGenerationSettings(spec.generation);
  const { temperature, topK, topP, seed, stopTokenIds } = spec.generation;
  const forcedBosTokenId = forcedFirstToken(model, spec.generation);
  const prefix = [
    ...(forcedBosTokenId === undefined ? [] : [forcedBosTokenId]),
    ...(spec.prefix === undefined
      ? []
      : (await tokenizeTarget(model, spec.prefix, "targetPrefix", options.sequenceIndex)).map(
          (token) => token.id!,
        )),
  ];
  if (promptIds.length + prefix.length + maxNewTokens > contextLength) {
    const what =
      prefix.length > 0 ? `prefix plus new tokens (${prefix.length} + ${maxNewTokens})` : "new tokens";
    throw tooLong(model, promptIds.length, prefix.length + maxNewTokens, what);
  }
  assertCapabilities(model, ["generate"], "attribute() without a forced target");
  // An encoder-decoder's prompt is its source: the prefix starts the decoder (`prefixIds`), where a
  // causal model simply continues prompt + prefix.
  const encoderDecoder = model.info.encoderDecoder;
  const generated = await model.generate!(encoderDecoder ? promptIds : [...promptIds, ...prefix], {
    maxNewTokens: encoderDecoder ? prefix.length + maxNewTokens : maxNewTokens,
    ...(encoderDecoder && prefix.length > 0 ? { prefixIds: prefix } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topK !== undefined ? { topK } : {}),
    ...(topP !== undefined ? { topP } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(stopTokenIds !== undefined ? { stopTokenIds } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const ids = encoderDecoder ? generated.ids : [...prefix, ...generated.ids];
  if (ids.length === 0) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `The model generated no token for sequence ${options.sequenceIndex}.`,
      {
        hint: "Give a forced target, or check the model's stop tokens.",
        details: { sequence: options.sequenceIndex },
      },
    );
  }
  return model.decodeTokens(ids, { after: promptIds });
}
