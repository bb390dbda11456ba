import { TokenscopeError } from "../errors/index.ts";
import { assertCapabilities } from "../model/assert-capabilities.ts";
import type { LanguageModel, Tokenization } from "../model/language-model.ts";

/**
 * Tokenizes one prompt as the source of a sequence. With `chatTemplate`, the
 * prompt becomes a user message formatted by the model's template (generation
 * prompt appended); the template already writes BOS and role markers as text,
 * so special tokens are not added a second time.
 */
export async function prepareSource(
  model: LanguageModel,
  prompt: string,
  chatTemplate: boolean,
  sequenceIndex: number,
): Promise<Tokenization> {
  if (typeof prompt !== "string" || prompt.trim() === "") {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Prompt ${sequenceIndex} is empty${typeof prompt === "string" && prompt !== "" ? " (whitespace only)" : ""}.`,
      {
        hint: "Give each prompt some text: the model predicts the target from it.",
        details: { sequence: sequenceIndex },
      },
    );
  }
  let tokenization: Tokenization;
  if (chatTemplate) {
    assertCapabilities(model, ["chatTemplate"], "attribute() with chatTemplate");
    if (!model.applyChatTemplate) {
      throw new TokenscopeError(
        "MISSING_CAPABILITY",
        `Model "${model.info.id}" declares "chatTemplate" but has no applyChatTemplate.`,
        { hint: "Leave out chatTemplate, or format the prompt yourself.", details: { model: model.info.id } },
      );
    }
    const text = await model.applyChatTemplate([{ role: "user", content: prompt }], {
      addGenerationPrompt: true,
    });
    tokenization = await model.tokenize(text, { addSpecialTokens: false });
  } else {
    tokenization = await model.tokenize(prompt, { addSpecialTokens: true });
  }
  if (tokenization.tokens.length === 0) {
    throw new TokenscopeError("INVALID_INPUT", `Prompt ${sequenceIndex} tokenizes to nothing.`, {
      hint: "A decoder-only model needs at least one source token (BOS) to predict from.",
      details: { sequence: sequenceIndex },
    });
  }
  return tokenization;
}
