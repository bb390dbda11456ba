/*
 * Base64 (RFC 4648, standard alphabet, padded) without Buffer, so the same code
 * runs in Node and in browsers; btoa/atob would need a latin1 string copy of
 * every byte first.
 */

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const decodeTable: Int16Array = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let index = 0; index < alphabet.length; index++) table[alphabet.charCodeAt(index)] = index;
  return table;
})();

const alphabetCodes: Uint8Array = Uint8Array.from(alphabet, (char) => char.charCodeAt(0));

/** Encodes bytes as padded standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  // Fill ASCII bytes and decode them once: building the string piece by piece is ~50x slower.
  const output = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  const whole = bytes.length - (bytes.length % 3);
  let written = 0;
  for (let index = 0; index < whole; index += 3) {
    const triple = (bytes[index]! << 16) | (bytes[index + 1]! << 8) | bytes[index + 2]!;
    output[written++] = alphabetCodes[triple >> 18]!;
    output[written++] = alphabetCodes[(triple >> 12) & 63]!;
    output[written++] = alphabetCodes[(triple >> 6) & 63]!;
    output[written++] = alphabetCodes[triple & 63]!;
  }
  if (whole < bytes.length) {
    const hasSecond = whole + 1 < bytes.length;
    const triple = (bytes[whole]! << 16) | ((hasSecond ? bytes[whole + 1]! : 0) << 8);
    output[written++] = alphabetCodes[triple >> 18]!;
    output[written++] = alphabetCodes[(triple >> 12) & 63]!;
    output[written++] = hasSecond ? alphabetCodes[(triple >> 6) & 63]! : 61;
    output[written++] = 61;
  }
  return new TextDecoder().decode(output);
}

/**
 * Number of bytes a padded base64 string decodes to, or null when its length
 * cannot be padded base64 (not a multiple of 4).
 */
export function base64ByteLength(text: string): number | null {
  if (text.length % 4 !== 0) return null;
  let padding = 0;
  if (text.endsWith("==")) padding = 2;
  else if (text.endsWith("=")) padding = 1;
  return (text.length / 4) * 3 - padding;
}

/** Decodes padded standard base64; throws a plain Error naming the first bad character. */
export function decodeBase64(text: string): Uint8Array {
  const byteLength = base64ByteLength(text);
  if (byteLength === null) throw new Error(`its length ${text.length} is not a multiple of 4`);
  const bytes = new Uint8Array(byteLength);
  const dataChars = text.length - (text.length / 4) * 3 + byteLength;
  let buffer = 0;
  let bufferedBits = 0;
  let written = 0;
  for (let index = 0; index < dataChars; index++) {
    const code = text.charCodeAt(index);
    const value = code < 128 ? decodeTable[code]! : -1;
    if (value < 0) throw new Error(`character ${JSON.stringify(text[index])} at ${index} is not base64`);
    buffer = (buffer << 6) | value;
    bufferedBits += 6;
    if (bufferedBits >= 8) {
      bufferedBits -= 8;
      bytes[written++] = (buffer >> bufferedBits) & 255;
      buffer &= (1 << bufferedBits) - 1;
    }
  }
  return bytes;
}
