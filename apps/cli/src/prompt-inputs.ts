import { readFileBounded } from "@tokenscope/core/node";
import { TokenscopeError } from "tokenscope";

/** One prompt to attribute, with an optional forced target from an input file. */
export interface PromptInput {
  prompt: string;
  target?: string;
}

function badLine(file: string, line: number, what: string): never {
  throw new TokenscopeError("INVALID_INPUT", `${file}, line ${line}: ${what}.`, {
    hint: 'Give one prompt per line, or in a .jsonl file one object per line: {"prompt": "...", "target": "..."} (target optional).',
    details: { file, line },
  });
}

/**
 * Prompts from an input file: a .jsonl file holds one JSON object per line with `prompt` (or
 * Inseq's `input_text`) and an optional `target` (or `generated_text`), so prompts may span lines;
 * any other file holds one prompt per line. Blank lines are skipped. The file must be a regular
 * file of at most `limits.inputFileBytes` (a device or FIFO is refused rather than read forever).
 */
export async function readPromptFile(file: string): Promise<PromptInput[]> {
  const bytes = await readFileBounded(file, {
    what: "prompt file",
    fileBytes: { limit: "inputFileBytes" },
    raiseHint: "Split the prompts over several runs.",
  });
  const text = new TextDecoder().decode(bytes);
  const lines = text.split(/\r?\n/);
  const inputs: PromptInput[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    if (!file.endsWith(".jsonl")) {
      inputs.push({ prompt: line });
      return;
    }
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (error) {
      badLine(file, index + 1, `not JSON (${(error as Error).message})`);
    }
    const record = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    const prompt = record["prompt"] ?? record["input_text"];
    const target = record["target"] ?? record["generated_text"];
    if (typeof prompt !== "string") badLine(file, index + 1, 'no string "prompt"');
    if (target !== undefined && typeof target !== "string")
      badLine(file, index + 1, '"target" is not a string');
    inputs.push({ prompt, ...(target !== undefined ? { target } : {}) });
  });
  if (inputs.length === 0) {
    throw new TokenscopeError("INVALID_INPUT", `${file} holds no prompt.`, {
      hint: "Write one prompt per line.",
      details: { file },
    });
  }
  return inputs;
}
