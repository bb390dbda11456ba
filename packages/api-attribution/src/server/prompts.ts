import type { ChatMessage, LanguageModel } from "@tokenscope/core";
import { badParameter, OpenAiError } from "./openai-error.ts";
import { describe, type RequestBody } from "./parameters.ts";

/**
 * The prompt ids of a `/v1/completions` request. `prompt` may be a string, a one-element array of
 * a string, an array of token ids, or a one-element array of such an array. A string is tokenized
 * as the model tokenizes a prompt for generation (BOS added when the model adds one); token ids are
 * used exactly as given (add the BOS yourself). Several prompts in one request are refused.
 */
export async function completionPromptIds(model: LanguageModel, body: RequestBody): Promise<number[]> {
  let prompt = body["prompt"];
  if (prompt === undefined || prompt === null)
    throw badParameter("prompt", "prompt is required.", "missing_required_parameter");
  if (
    Array.isArray(prompt) &&
    prompt.length > 0 &&
    (typeof prompt[0] === "string" || Array.isArray(prompt[0]))
  ) {
    if (prompt.length !== 1) {
      throw badParameter(
        "prompt",
        `tokenscope serve takes one prompt per request, got ${prompt.length}.`,
        "unsupported_value",
      );
    }
    prompt = prompt[0];
  }
  if (typeof prompt === "string") return tokenizePrompt(model, prompt, true);
  if (Array.isArray(prompt) && prompt.every((id) => Number.isInteger(id))) {
    const vocab = model.info.vocabSize;
    const bad = (prompt as number[]).find((id) => id < 0 || id >= vocab);
    if (bad !== undefined)
      throw badParameter("prompt", `Token id ${bad} is outside the vocabulary [0, ${vocab}).`);
    if (prompt.length === 0) throw badParameter("prompt", "The prompt has no tokens.");
    return prompt as number[];
  }
  throw badParameter("prompt", `prompt must be a string or an array of token ids, got ${describe(prompt)}.`);
}

/** The messages of a chat request, checked: roles and text content (a string or text parts). */
export function chatMessages(body: RequestBody): ChatMessage[] {
  const messages = body["messages"];
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badParameter(
      "messages",
      "messages must be a non-empty array of {role, content}.",
      "missing_required_parameter",
    );
  }
  return messages.map((message, index): ChatMessage => {
    const param = `messages[${index}]`;
    if (typeof message !== "object" || message === null)
      throw badParameter(param, `${param} must be an object.`);
    const { role, content } = message as { role?: unknown; content?: unknown };
    if (typeof role !== "string" || role.length === 0)
      throw badParameter(`${param}.role`, `${param}.role must be a string.`);
    if (typeof content === "string") return { role, content };
    if (content === null || content === undefined) return { role, content: "" };
    if (Array.isArray(content)) {
      const texts = content.map((part, partIndex) => {
        const { type, text } = (part ?? {}) as { type?: unknown; text?: unknown };
        if (type !== "text" || typeof text !== "string") {
          throw badParameter(
            `${param}.content[${partIndex}]`,
            `Only text content parts are supported, got ${describe(part)}.`,
            "unsupported_value",
          );
        }
        return text;
      });
      return { role, content: texts.join("") };
    }
    throw badParameter(`${param}.content`, `${param}.content must be a string or an array of text parts.`);
  });
}

/** What a chat request's messages became: the prompt ids and the text they came from. */
export interface ChatPrompt {
  promptIds: number[];
  /** The rendered chat template, or the joined user messages. */
  text: string;
  /** Whether the model's chat template was used. */
  templated: boolean;
}

/**
 * The prompt of a chat request. When the model has a chat template, the messages are rendered
 * through it with the generation prompt added and the result is tokenized without special tokens
 * (the template writes them), except that a BOS is put in front when the model adds one to plain
 * prompts and the rendered text does not already start with it. Without a template (llama2.c
 * models such as stories260K) the prompt is the content of the user messages joined with "\n"
 * (system and assistant messages are left out), tokenized as a completions prompt: chat and
 * completions on the same text read the same tokens.
 */
export async function chatPrompt(model: LanguageModel, messages: ChatMessage[]): Promise<ChatPrompt> {
  if (model.applyChatTemplate) {
    const text = await model.applyChatTemplate(messages, { addGenerationPrompt: true });
    const ids = await tokenizePrompt(model, text, false);
    const bos = model.info.specialTokens.bos;
    if (bos !== undefined && ids[0] !== bos) {
      const plain = await model.tokenize("", { addSpecialTokens: true });
      if (plain.tokens[0]?.id === bos) ids.unshift(bos);
    }
    return { promptIds: ids, text, templated: true };
  }
  const users = messages.filter((message) => message.role === "user");
  if (users.length === 0) {
    throw badParameter(
      "messages",
      "This model has no chat template, so at least one user message is needed: its content is the prompt.",
    );
  }
  const text = users.map((message) => message.content).join("\n");
  return { promptIds: await tokenizePrompt(model, text, true), text, templated: false };
}

async function tokenizePrompt(
  model: LanguageModel,
  text: string,
  addSpecialTokens: boolean,
): Promise<number[]> {
  const { tokens } = await model.tokenize(text, { addSpecialTokens });
  const ids = tokens.map((token) => token.id!);
  if (ids.length === 0)
    throw new OpenAiError(400, "The prompt has no tokens.", { param: "prompt", code: "invalid_value" });
  return ids;
}
