import { readFileBounded } from "@tokenscope/core/node";
import { TokenscopeError } from "tokenscope";

/*
 * Text files the user hands the CLI (prompts, datasets, benchmark data): read within the input-file
 * bound and decoded as strict UTF-8, so every reader refuses the same things with the same message.
 */

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
export function decodeUtf8(file: string, bytes: Uint8Array): string {
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

/**
 * A user's text file, whole: bounded by `inputFileBytes`, strict UTF-8.
 * @throws TokenscopeError IO_ERROR (missing, unreadable, not a file), INVALID_INPUT (too large, not UTF-8).
 */
export async function readTextFile(file: string, what: string, raiseHint: string): Promise<string> {
  const bytes = await readFileBounded(file, { what, fileBytes: { limit: "inputFileBytes" }, raiseHint });
  return decodeUtf8(file, bytes);
}
