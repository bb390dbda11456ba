import { readFile } from "node:fs/promises";
import { TokenscopeError } from "@tokenscope/core";

/**
 * Reads a whole file for the Node loaders, turning file-system failures into an `IO_ERROR` that
 * names the path. Kept apart from the byte-level readers, which also run in browsers.
 */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TokenscopeError("IO_ERROR", `Cannot read ${path}${code ? ` (${code})` : ""}.`, {
      hint:
        code === "ENOENT"
          ? "Check the path; the file does not exist."
          : "Check the path and its permissions.",
      details: { path, code },
      cause: error,
    });
  }
}
