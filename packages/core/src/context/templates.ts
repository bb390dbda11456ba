import { TokenscopeError } from "../errors/index.ts";

/** A filled template: its text, and where the context went in it (character offsets). */
export interface FilledTemplate {
  text: string;
  /** [start, end) of the context in `text`; undefined when the template has no {context}. */
  context: [number, number] | undefined;
  /** Offset in `text` where the current text begins. */
  current: number;
}

function bad(message: string, hint: string, details: Record<string, unknown>): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint, details });
}

/**
 * Fills `{current}` (required, once) and `{context}` (at most once) in a PECoRe template such as
 * Inseq's "{context} {current}", recording where each part landed so attributions can be read back
 * per part. A template naming {context} needs a context, and a context needs a template naming it.
 */
export function fillTemplate(
  name: string,
  template: string,
  current: string,
  context: string | undefined,
): FilledTemplate {
  const count = (tag: string) => template.split(tag).length - 1;
  if (count("{current}") !== 1) {
    throw bad(
      `${name} "${template}" must contain {current} exactly once.`,
      'Write e.g. "{context} {current}" (the default with a context) or "{current}".',
      { template: name },
    );
  }
  if (count("{context}") > 1) {
    throw bad(`${name} "${template}" contains {context} more than once.`, "Name the context once.", {
      template: name,
    });
  }
  const hasContext = count("{context}") === 1;
  if (hasContext && context === undefined) {
    throw bad(
      `${name} "${template}" has a {context} placeholder but no context text was given.`,
      "Give the context text, or a template without {context}.",
      { template: name },
    );
  }
  if (!hasContext && context !== undefined) {
    throw bad(
      `A context text was given, but ${name} "${template}" has no {context} placeholder.`,
      'Put {context} in the template (e.g. "{context} {current}") or leave the context out.',
      { template: name },
    );
  }
  let text = "";
  let contextRange: [number, number] | undefined;
  let currentAt = 0;
  for (const part of template.split(/(\{current\}|\{context\})/)) {
    if (part === "{current}") {
      currentAt = text.length;
      text += current;
    } else if (part === "{context}") {
      contextRange = [text.length, text.length + context!.length];
      text += context!;
    } else text += part;
  }
  return { text, context: contextRange, current: currentAt };
}
