/**
 * @packageDocumentation
 * An OpenAI-compatible HTTP server over any core `LanguageModel` (what `tokenscope serve` runs), with
 * real log-probabilities. Node only. This entry point only exports.
 *
 * The rules it follows where OpenAI's API leaves room:
 * - Tokens are chosen by `model.generate` (greedy output is exactly the model's own); every
 *   log-probability is the log-softmax of `model.forward`'s raw logits at that position (not
 *   temperature-scaled), and top tokens are the k most likely, ties broken by the lower id.
 * - A string prompt is tokenized as the model tokenizes a prompt for generation (BOS added when the
 *   model adds one); a prompt of token ids is used as given.
 * - `echo` returns the prompt tokens without a leading BOS (it has no text), so the echoed tokens
 *   concatenate to the prompt and the first of them gets a real log-probability given BOS; without
 *   a BOS the first prompt token has a null log-probability, as OpenAI's.
 * - Token strings are the text each token adds (`decodeTokens` after the tokens before it): the
 *   tokens of a choice concatenate to its text exactly; `text_offset` counts UTF-16 code units into
 *   the choice's text (prompt and completion with echo). A stop string cuts the text (not included);
 *   the token it falls in keeps only its part before it. An end-of-sequence token that ends
 *   generation is not returned (finish reason "stop"), but counts in `completion_tokens`.
 * - Chat: with a chat template, the messages are rendered with the generation prompt and tokenized
 *   without special tokens (plus one BOS in front when the model adds BOS to prompts and the
 *   template did not write it); without one, the prompt is the user messages' content joined
 *   with "\n", so chat and completions on the same text read the same tokens.
 * - One request is in the model at a time; `n` other than 1, streaming, penalties, logit biases and
 *   tools are refused with a 400 rather than ignored.
 */
export type {
  ChatCompletionResponse,
  ChatTokenLogprob,
  ChatTopLogprob,
} from "./server/chat-completions.ts";
export type { CompletionLogprobs, CompletionResponse, Usage } from "./server/completions.ts";
export {
  createOpenAiServer,
  defaultModelName,
  type OpenAiServer,
  type OpenAiServerOptions,
  type RequestLogEntry,
} from "./server/create-openai-server.ts";
export { OpenAiError, type OpenAiErrorBody, type OpenAiErrorType } from "./server/openai-error.ts";
