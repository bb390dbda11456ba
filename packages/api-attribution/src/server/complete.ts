import type { LanguageModel } from "@tokenscope/core";
import { type RankedToken, scorePositions } from "./log-probabilities.ts";

/** How many ids of context decode an alternative token's text (see {@link complete}). */
export const ALTERNATIVE_CONTEXT_IDS = 16;

/** What {@link complete} is asked to do: a prompt of ids, decoding settings and what to score. */
export interface CompletionJob {
  promptIds: number[];
  /** New tokens at most (0: none, pure scoring with `echo`). */
  maxTokens: number;
  /** 0: greedy. */
  temperature: number;
  topP?: number;
  seed?: number;
  /** Cut the completion text at the first of these strings (not included). */
  stop: string[];
  /** Also score and return the prompt tokens. */
  echo: boolean;
  /** How many alternatives per position; undefined: no log-probabilities at all. */
  topLogprobs?: number;
  signal?: AbortSignal;
}

/** One returned token: its text (what it adds), and when scored its log-probability and alternatives. */
export interface ScoredToken {
  id: number;
  /** The characters this token adds to the text: the tokens' texts concatenate to the text. */
  text: string;
  /** log p(token | everything before it), nats; null for a first prompt token (nothing before it). */
  logprob: number | null;
  /** The most likely tokens at this position with their texts, most likely first; null with `logprob`. */
  top: { id: number; text: string; logprob: number }[] | null;
}

/** What {@link complete} returns. */
export interface CompletionOutcome {
  /** With `echo`: the prompt tokens, without a leading BOS (it has no text); otherwise empty. */
  promptTokens: ScoredToken[];
  /** With `echo`: the prompt as the tokens spell it (their texts concatenated); otherwise "". */
  promptText: string;
  completionTokens: ScoredToken[];
  completionText: string;
  /** "stop": an end-of-sequence token or a stop string ended it; "length": `maxTokens` did. */
  finishReason: "stop" | "length";
  /** Tokens the model read (the prompt, BOS included). */
  promptTokenCount: number;
  /** Tokens the model generated for the returned text (an end-of-sequence token included). */
  completionTokenCount: number;
}

/**
 * Generates and scores one completion. The tokens are chosen by `model.generate` (so greedy output
 * is exactly the model's own); log-probabilities come from `model.forward` over the prompt and the
 * returned tokens, the log-softmax of the raw logits (not the temperature-scaled ones) at each
 * position. An end-of-sequence token that ends generation is not returned (finish reason "stop").
 * Token texts come from `decodeTokens` of the whole sequence; an alternative's text from decoding
 * it after the last {@link ALTERNATIVE_CONTEXT_IDS} ids, except that the token that was actually
 * there keeps its own text.
 */
export async function complete(model: LanguageModel, job: CompletionJob): Promise<CompletionOutcome> {
  const { promptIds, signal } = job;
  const eos = model.info.specialTokens.eos ?? [];
  let generated: number[] = [];
  if (job.maxTokens > 0) {
    const result = await model.generate!(promptIds, {
      maxNewTokens: job.maxTokens,
      temperature: job.temperature,
      ...(job.topP !== undefined && job.topP < 1 ? { topP: job.topP } : {}),
      ...(job.seed !== undefined ? { seed: job.seed } : {}),
      ...(eos.length > 0 ? { stopTokenIds: eos } : {}),
      ...(signal ? { signal } : {}),
    });
    generated = result.ids.slice(0, job.maxTokens);
  }
  let finishReason: "stop" | "length" = "length";
  let completionTokenCount = generated.length;
  if (generated.length > 0 && eos.includes(generated.at(-1)!)) {
    generated = generated.slice(0, -1);
    finishReason = "stop";
  }
  const decoded = await model.decodeTokens(generated, { after: promptIds });
  let texts = decoded.tokens.map((token) => token.text);
  let completionText = texts.join("");
  const cut = firstStop(completionText, job.stop);
  if (cut !== undefined) {
    // Keep the tokens that start before the cut; the one the cut falls in keeps its part before it.
    const kept: string[] = [];
    let offset = 0;
    for (const text of texts) {
      if (offset >= cut) break;
      kept.push(text.slice(0, cut - offset));
      offset += text.length;
    }
    texts = kept;
    generated = generated.slice(0, kept.length);
    completionText = completionText.slice(0, cut);
    completionTokenCount = generated.length;
    finishReason = "stop";
  }

  let promptTokens: ScoredToken[] = [];
  let promptText = "";
  let echoFrom = 0;
  if (job.echo) {
    const prompt = await model.decodeTokens(promptIds);
    echoFrom = promptIds[0] === model.info.specialTokens.bos && promptIds.length > 0 ? 1 : 0;
    promptTokens = prompt.tokens.slice(echoFrom).map((token, index) => ({
      id: promptIds[echoFrom + index]!,
      text: token.text,
      logprob: null,
      top: null,
    }));
    promptText = promptTokens.map((token) => token.text).join("");
  }
  const completionTokens: ScoredToken[] = generated.map((id, index) => ({
    id,
    text: texts[index]!,
    logprob: null,
    top: null,
  }));

  if (job.topLogprobs !== undefined) {
    const ids = [...promptIds, ...generated];
    // Token at sequence index i is scored by the logits at i − 1; index 0 has nothing before it.
    const scored: { token: ScoredToken; index: number }[] = [
      ...promptTokens.map((token, index) => ({ token, index: echoFrom + index })),
      ...completionTokens.map((token, index) => ({ token, index: promptIds.length + index })),
    ].filter(({ index }) => index > 0);
    const scores = await scorePositions(
      model,
      ids,
      scored.map(({ index }) => index - 1),
      job.topLogprobs,
      signal,
    );
    for (const [n, { token, index }] of scored.entries()) {
      const score = scores[n]!;
      token.logprob = score.logprob;
      token.top = await alternativeTexts(
        model,
        ids.slice(Math.max(0, index - ALTERNATIVE_CONTEXT_IDS), index),
        score.top,
        token,
      );
    }
  }
  return {
    promptTokens,
    promptText,
    completionTokens,
    completionText,
    finishReason,
    promptTokenCount: promptIds.length,
    completionTokenCount,
  };
}

/** Index of the earliest occurrence of any stop string in `text`, or undefined. */
export function firstStop(text: string, stops: readonly string[]): number | undefined {
  let first: number | undefined;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at >= 0 && (first === undefined || at < first)) first = at;
  }
  return first;
}

async function alternativeTexts(
  model: LanguageModel,
  context: number[],
  top: RankedToken[],
  actual: ScoredToken,
): Promise<{ id: number; text: string; logprob: number }[]> {
  const out: { id: number; text: string; logprob: number }[] = [];
  for (const { id, logprob } of top) {
    const text =
      id === actual.id
        ? actual.text
        : ((await model.decodeTokens([id], { after: context })).tokens[0]?.text ?? "");
    out.push({ id, text, logprob });
  }
  return out;
}
