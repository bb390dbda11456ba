import { Template } from "@huggingface/jinja";
import { type ChatMessage, TokenscopeError } from "@tokenscope/core";
import type { HfSpecialTokens } from "./hf-special-tokens.ts";

/** A tokenizer's chat templates: one, or several by name ("default", "tool_use", ...). */
export type HfChatTemplates = string | Readonly<Record<string, string>>;

/**
 * tokenizer_config.json's `chat_template` in the forms transformers saves it: a string, or a list
 * of `{name, template}` (several templates, which transformers.js turns into a name → template
 * object, as this does). Undefined when absent or empty.
 * @throws TokenscopeError MODEL_LOAD_FAILED for a list entry without string `name` and `template`,
 *   or a value of another type.
 */
export function configChatTemplates(value: unknown, source: string): HfChatTemplates | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string") return value;
  const entries = Array.isArray(value)
    ? value.map((entry: { name?: unknown; template?: unknown } | null) => [entry?.name, entry?.template])
    : typeof value === "object"
      ? Object.entries(value)
      : undefined;
  if (
    !entries ||
    entries.some(([name, template]) => typeof name !== "string" || typeof template !== "string")
  ) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `Cannot load the tokenizer of ${source}: its chat_template is neither a string nor a list of {name, template} strings.`,
      { hint: "Save the tokenizer again with Python transformers.", details: { source } },
    );
  }
  return entries.length > 0 ? (Object.fromEntries(entries) as Record<string, string>) : undefined;
}

/**
 * The template that renders when none is named, as transformers.js picks it without tools: the
 * only one, else the one named "default".
 * @throws TokenscopeError INVALID_INPUT when there are several and none is "default".
 */
export function defaultChatTemplate(templates: HfChatTemplates, source: string): string {
  if (typeof templates === "string") return templates;
  const template = Object.hasOwn(templates, "default") ? templates["default"] : undefined;
  if (template !== undefined) return template;
  const names = Object.keys(templates).sort();
  throw new TokenscopeError(
    "INVALID_INPUT",
    `The tokenizer of ${source} has several chat templates (${names.join(", ")}) and none named "default".`,
    { hint: 'Save the model\'s main template under the name "default".', details: { source, names } },
  );
}

/**
 * The variables transformers.js (4.3) renders a chat template with: `messages`,
 * `add_generation_prompt`, `tools` and `documents` (null: tokenscope passes none), and every
 * special token tokenizer_config.json names (`bos_token`, `eos_token`, ...), as Python
 * transformers does too.
 */
export function chatTemplateVariables(
  messages: readonly ChatMessage[],
  addGenerationPrompt: boolean,
  specialTokens: HfSpecialTokens,
): Record<string, unknown> {
  return {
    messages,
    add_generation_prompt: addGenerationPrompt,
    tools: null,
    documents: null,
    ...specialTokens,
  };
}

/**
 * A renderer of one Jinja chat template (`@huggingface/jinja`, the engine transformers.js uses),
 * parsed on first use: a model whose template does not parse still loads and tokenizes.
 * @throws TokenscopeError MODEL_LOAD_FAILED when the template does not parse; INVALID_INPUT when it
 *   refuses the messages (templates call `raise_exception`, e.g. for roles that do not alternate).
 */
export function chatTemplateRenderer(
  template: string,
  source: string,
): (variables: Record<string, unknown>) => string {
  let compiled: Template | undefined;
  return (variables) => {
    if (!compiled) {
      try {
        compiled = new Template(template);
      } catch (error) {
        throw new TokenscopeError(
          "MODEL_LOAD_FAILED",
          `The chat template of ${source} does not parse: ${error instanceof Error ? error.message : String(error)}.`,
          {
            hint: "Fix the template in tokenizer_config.json or chat_template.jinja.",
            details: { source },
            cause: error,
          },
        );
      }
    }
    try {
      return compiled.render(variables);
    } catch (error) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `The chat template of ${source} refused the messages: ${error instanceof Error ? error.message : String(error)}.`,
        {
          hint: "Check the roles and their order against what the model's template accepts.",
          details: { source },
          cause: error,
        },
      );
    }
  };
}
