const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * How deeply the arrays and objects of JSON text nest (`[]` is 1, `{"a": [1]}` is 2, a scalar 0),
 * found by counting brackets outside strings, without parsing: one pass, no allocation, no
 * recursion. Stops as soon as the depth passes `stopAbove` and returns that depth, so a hostile
 * text of ten million `[` costs as little as `stopAbove` of them. Call it before `JSON.parse` and
 * before anything that walks the parsed value recursively (`JSON.stringify` included), both of
 * which overflow the stack on deep enough input. Bytes are read as UTF-8: the brackets, quotes and
 * backslashes it counts are ASCII, which never occur inside a multi-byte character. Malformed text
 * gives a number too; `JSON.parse` reports what is wrong with it.
 */
export function jsonNestingDepth(text: string | Uint8Array, stopAbove = Number.POSITIVE_INFINITY): number {
  return typeof text === "string" ? depthOfText(text, stopAbove) : depthOfBytes(text, stopAbove);
}

// Two copies of one loop, one per input type: a shared accessor function makes the loop 3× slower.

function depthOfBytes(bytes: Uint8Array, stopAbove: number): number {
  const length = bytes.byteLength;
  let depth = 0;
  let deepest = 0;
  for (let index = 0; index < length; index++) {
    const code = bytes[index];
    if (code === QUOTE) {
      // Skip the string: up to the next quote that no backslash escapes.
      for (index++; index < length; index++) {
        const inner = bytes[index];
        if (inner === BACKSLASH) index++;
        else if (inner === QUOTE) break;
      }
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if ((code === CLOSE_BRACKET || code === CLOSE_BRACE) && depth > 0) {
      depth--;
    }
  }
  return deepest;
}

function depthOfText(text: string, stopAbove: number): number {
  const length = text.length;
  let depth = 0;
  let deepest = 0;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      for (index++; index < length; index++) {
        const inner = text.charCodeAt(index);
        if (inner === BACKSLASH) index++;
        else if (inner === QUOTE) break;
      }
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if ((code === CLOSE_BRACKET || code === CLOSE_BRACE) && depth > 0) {
      depth--;
    }
  }
  return deepest;
}
