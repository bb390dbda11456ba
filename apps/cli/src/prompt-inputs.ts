import { readFileBounded } from "@tokenscope/core/node";
import { checkLimit, limits, TokenscopeError } from "tokenscope";

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

/**
 * The offset of the first byte that does not start a well-formed UTF-8 sequence (overlong forms,
 * surrogates and code points above U+10FFFF included, as the WHATWG decoder judges), or -1.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index++;
      continue;
    }
    let following: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) following = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      following = 2;
      if (lead === 0xe0) lower = 0xa0;
      if (lead === 0xed) upper = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      following = 3;
      if (lead === 0xf0) lower = 0x90;
      if (lead === 0xf4) upper = 0x8f;
    } else return index;
    for (let k = 1; k <= following; k++) {
      const byte = bytes[index + k];
      if (byte === undefined || byte < lower || byte > upper) return index;
      lower = 0x80;
      upper = 0xbf;
    }
    index += following + 1;
  }
  return -1;
}

/** The bytes as UTF-8 text (a leading BOM dropped); anything else is refused, naming the first bad byte. */
function decodeUtf8(file: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    let line = 1;
    for (let index = 0; index < offset; index++) if (bytes[index] === 0x0a) line++;
    const byte = bytes[offset] ?? 0;
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${file} is not UTF-8 text: byte ${offset.toLocaleString("en-US")} (line ${line}), 0x${byte.toString(16).padStart(2, "0")}, does not start a valid UTF-8 sequence.`,
      {
        hint: "Convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8`); tokenscope does not guess encodings.",
        details: { file, offset, line },
      },
    );
  }
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
