import { readFileBounded } from "@tokenscope/core/node";
import { checkLimit, limits, TokenscopeError } from "tokenscope";
import { decodeUtf8 } from "./text-file.ts";

/** One prompt to attribute, with an optional forced target from an input file. */
export interface PromptInput {
  prompt: string;
  target?: string;
}

/** What `--input-file -` reads: standard input, or a stand-in in tests. */
export interface PromptStream extends AsyncIterable<Uint8Array | string> {
  /** True when it is a terminal: prompts would be typed, not piped, so it is refused. */
  isTTY?: boolean;
}

/** Options of {@link readPromptFile}. */
export interface ReadPromptFileOptions {
  /** Where `-` reads from; default `process.stdin`. */
  stdin?: PromptStream;
}

/** The file name `-` stands for in messages. */
const STDIN_NAME = "standard input";

function badLine(file: string, line: number, what: string): never {
  throw new TokenscopeError("INVALID_INPUT", `${file}, line ${line}: ${what}.`, {
    hint: 'Give one prompt per line, or in a .jsonl file one object per line: {"prompt": "...", "target": "..."} (target optional).',
    details: { file, line },
  });
}

/**
 * Standard input, whole, bounded by `limits.inputFileBytes` as a file is (checked while reading, so
 * an endless pipe stops at the bound). A terminal is refused: nothing was piped.
 */
async function readStdin(stdin: PromptStream): Promise<Uint8Array> {
  if (stdin.isTTY) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      "--input-file - reads prompts from standard input, but standard input is a terminal.",
      {
        hint: "Pipe the prompts in, e.g. `cat prompts.txt | tokenscope attribute --model <ref> --input-file -`, or give a file.",
      },
    );
  }
  const { max } = limits.inputFileBytes;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
    total += bytes.length;
    if (total > max) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `${STDIN_NAME}: more than ${max.toLocaleString("en-US")} bytes, above the limit for a prompt file (${limits.inputFileBytes.reason}).`,
        { hint: "Split the prompts over several runs.", details: { limit: "inputFileBytes", max } },
      );
    }
    chunks.push(bytes);
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** Each line of `text` with its 1-based number, split on \n or \r\n, without building an array of all. */
function* linesOf(text: string): Generator<[line: string, number: number]> {
  let start = 0;
  let number = 1;
  while (start <= text.length) {
    const newline = text.indexOf("\n", start);
    const end = newline === -1 ? text.length : newline;
    const line = text.slice(start, end > start && text[end - 1] === "\r" ? end - 1 : end);
    yield [line, number++];
    if (newline === -1) return;
    start = newline + 1;
  }
}

/**
 * Prompts from an input file: a .jsonl file holds one JSON object per line with `prompt` (or
 * Inseq's `input_text`) and an optional `target` (or `generated_text`), so prompts may span lines;
 * any other file holds one prompt per line. Blank lines are skipped. The file must be a regular
 * file of at most `limits.inputFileBytes` (a device or FIFO is refused rather than read forever),
 * UTF-8 (anything else is refused with the offset of the first bad byte, never decoded to U+FFFD),
 * and hold at most `limits.prompts` prompts. `-` reads standard input (one prompt per line), which
 * must be piped, not a terminal.
 * @throws TokenscopeError INVALID_INPUT for a bad line, a bad encoding, no prompt or too many;
 *   IO_ERROR when the file cannot be read.
 */
export async function readPromptFile(
  file: string,
  options: ReadPromptFileOptions = {},
): Promise<PromptInput[]> {
  const fromStdin = file === "-";
  const name = fromStdin ? STDIN_NAME : file;
  const bytes = fromStdin
    ? await readStdin(options.stdin ?? process.stdin)
    : await readFileBounded(file, {
        what: "prompt file",
        fileBytes: { limit: "inputFileBytes" },
        raiseHint: "Split the prompts over several runs.",
      });
  const text = decodeUtf8(name, bytes);
  const jsonLines = !fromStdin && file.endsWith(".jsonl");
  const inputs: PromptInput[] = [];
  for (const [line, number] of linesOf(text)) {
    if (line.trim() === "") continue;
    if (inputs.length === limits.prompts.max) {
      checkLimit(
        "prompts",
        inputs.length + 1,
        `The number of prompts in ${name} (by line ${number.toLocaleString("en-US")})`,
      );
    }
    if (!jsonLines) {
      inputs.push({ prompt: line });
      continue;
    }
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (error) {
      badLine(name, number, `not JSON (${(error as Error).message})`);
    }
    const record = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    const own = (key: string) => (Object.hasOwn(record, key) ? record[key] : undefined);
    const prompt = own("prompt") ?? own("input_text");
    const target = own("target") ?? own("generated_text");
    if (typeof prompt !== "string") badLine(name, number, 'no string "prompt"');
    if (target !== undefined && typeof target !== "string") badLine(name, number, '"target" is not a string');
    inputs.push({ prompt, ...(target !== undefined ? { target } : {}) });
  }
  if (inputs.length === 0) {
    throw new TokenscopeError("INVALID_INPUT", `${name} holds no prompt.`, {
      hint: fromStdin
        ? "Pipe one prompt per line into standard input (it was empty or closed)."
        : "Write one prompt per line.",
      details: { file: name },
    });
  }
  return inputs;
}
